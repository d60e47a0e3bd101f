"""项目人员管理 on site: 人员分配 by the PM, 待同意分配人数, 同意, the roster."""
from flask import Blueprint

bp = Blueprint("site", __name__, url_prefix="/projects/<int:pid>/site")
