"""Login, logout, self-registration of bidders, password change (placeholder routes)."""

from flask import Blueprint, abort

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    abort(404)


@bp.post("/logout")
def logout():
    abort(404)


@bp.route("/register", methods=["GET", "POST"])
def register():
    abort(404)


@bp.route("/password", methods=["GET", "POST"])
def password():
    abort(404)
