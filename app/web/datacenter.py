"""The data center's queue of registrations (大数据中心)."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("datacenter", __name__, url_prefix="/datacenter")


@bp.route("/")
@login_required
def queue():
    return render_template("error.html", status=501, message="登记审核")
