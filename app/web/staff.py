"""人员管理: an enterprise's employees, 【新建聘用关系】, 【聘用登记】, employment detail."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("staff", __name__, url_prefix="/enterprises/<int:eid>/staff")


@bp.route("/")
@login_required
def index(eid: int):
    return render_template("error.html", status=501, message="人员管理")
