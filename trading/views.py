"""Public portal pages (placeholder routes; the portal is built out in trading/views.py)."""

from flask import Blueprint, render_template_string

bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    return render_template_string('{% extends "base.html" %}{% block content %}<h1>首页</h1>{% endblock %}')


@bp.get("/projects")
def projects():
    return render_template_string('{% extends "base.html" %}{% block content %}<h1>交易项目</h1>{% endblock %}')
