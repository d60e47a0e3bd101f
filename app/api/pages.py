"""Pagination of API lists: ?page=&per_page= (at most 100), with the total."""
import re

from flask import request
from flask_babel import gettext

from app.api.problems import ApiProblem
from app.extensions import db


MAX_PAGE = 10**6  # far beyond any list; a larger page is as empty and its OFFSET would overflow


def int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # ASCII digits only: "²".isdigit() is true but int("²") raises
    if not re.fullmatch(r"[0-9]{1,18}", raw) or int(raw) < 1:
        raise ApiProblem(400, gettext("查询参数应为正整数"), errors={name: gettext("查询参数应为正整数")})
    return min(int(raw), MAX_PAGE)


def page_of(query, render) -> dict:
    page = db.paginate(query, page=int_arg("page", 1), per_page=min(int_arg("per_page", 20), 100),
                       error_out=False)
    return {"items": [render(x) for x in page.items], "page": page.page, "per_page": page.per_page,
            "total": page.total}
