"""The public JSON API of shared/API.md under /api/v1."""
from flask import Blueprint
from flask_babel import gettext

from app.api.problems import ApiProblem, problem_response
from app.services.errors import DomainError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem):
    return problem_response(error.status, error.detail, error.errors, error.headers, error.extra)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    message = gettext(error.message, **error.params)
    errors = {error.field: message} if error.field else None
    return problem_response(error.status, message, errors)


from app.api import (accounts, allocation, calendar, employment, openapi, organisations,  # noqa: E402,F401
                     processes, payroll, registration, separation, site, tasks)
