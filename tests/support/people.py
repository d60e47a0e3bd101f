"""People in a registration state, built directly (the registration flow has its own tests):
a verified person is a Person with a verified Registration and the ID number set."""
import itertools
from datetime import date, timedelta

from app.extensions import db
from app.models import Registration
from app.models.types import utcnow
from tests.support.identifiers import make_id_number

_SEQ = itertools.count(1)


def _next_id_number() -> str:
    n = next(_SEQ)
    return make_id_number(birth=date(1980, 1, 1) + timedelta(days=n), seq=n % 1000)


def registration(person, status: str, name: str | None = None, id_number: str | None = None) -> Registration:
    row = Registration(person=person, name=name or person.name, id_number=id_number or _next_id_number(),
                       phone=person.phone or "13900000000", front_image="test/front.jpg",
                       back_image="test/back.jpg", status=status, expected_by=date.today() + timedelta(days=21),
                       processed_at=utcnow() if status != "submitted" else None,
                       reason="身份证图片不清晰" if status == "rejected" else None)
    db.session.add(row)
    return row


def verified_person(world, name: str, id_number: str | None = None):
    """A signed-up person (with an account) whose registration the data center verified."""
    user = world.user(name=name)
    person = user.person
    row = registration(person, "verified", name=name, id_number=id_number)
    person.id_number = row.id_number
    db.session.commit()
    return person


def submitted_person(world, name: str, id_number: str | None = None):
    """A person whose registration still awaits the data center's batch."""
    user = world.user(name=name)
    registration(user.person, "submitted", name=name, id_number=id_number)
    db.session.commit()
    return user.person
