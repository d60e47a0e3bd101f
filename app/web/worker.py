"""The worker's own pages, phone first: 个人信息登记, bank card."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("worker", __name__, url_prefix="/me")


@bp.route("/registration")
@login_required
def registration():
    return render_template("error.html", status=501, message="个人信息登记")
