"""Demonstration data: the loader (`flask demo`) and its datasets."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from trading.demo.cli import demo_cmd

    app.cli.add_command(demo_cmd)
