"""Statistics (issue 7): the blueprint is registered now so the package can grow without touching the factory."""

from flask import Blueprint

bp = Blueprint("stats", __name__)
