"""The two apps bench/morning_peak.py serves beside the product, each under gunicorn with
the product's settings from the environment (DATABASE_URL, SECRET_KEY): the baseline,
one insert, and the floor, a sign-in's own work with none of the product's machinery."""
import hashlib
import os


# --- the baseline: a bare Flask endpoint doing one insert ---------------------------------

def bare_app():
    """gunicorn 'bench.peak_apps:bare_app()': POST /insert adds one row and commits."""
    from flask import Flask, request
    from flask_sqlalchemy import SQLAlchemy

    app = Flask("bench_bare")
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    bare = SQLAlchemy(app, session_options={"expire_on_commit": False})  # as app/extensions.py

    class BenchInsert(bare.Model):
        __tablename__ = "bench_insert"
        id = bare.Column(bare.Integer, primary_key=True)
        n = bare.Column(bare.Integer, nullable=False)
        lng = bare.Column(bare.Float)
        lat = bare.Column(bare.Float)

    @app.post("/insert")
    def insert():
        body = request.get_json()
        record = BenchInsert(n=body["n"], lng=body["lng"], lat=body["lat"])
        bare.session.add(record)
        bare.session.commit()
        return {"id": record.id}, 201

    return app


# --- the floor: a sign-in's own work, with none of the product's machinery ------------------

def floor_app():
    """gunicorn 'bench.peak_apps:floor_app()': POST /signin does what a sign-in must —
    the officer's code (HMAC), the same one statement as app.services.signin of the bearer
    token's check and the facts, the distance, one INSERT … RETURNING and the commit — as Core
    statements in a bare Flask view: no Flask-Login, no WTForms, no ORM objects, no error
    messages. What the product's sign-in could reach at best on this stack and machine."""
    from flask import Flask, abort, request
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import insert

    from app.models import SignIn
    from app.models.types import utcnow
    from app.services import construction_code, geo, signin
    from app.services.idcard import SHANGHAI

    app = Flask("bench_floor")
    app.config.update(SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"], SECRET_KEY=os.environ["SECRET_KEY"])
    floor = SQLAlchemy(app, session_options={"expire_on_commit": False})
    add = insert(SignIn).returning(SignIn.id)

    @app.post("/signin")
    def sign_in():
        body, now = request.get_json(), utcnow()
        token = request.headers["Authorization"].partition(" ")[2]
        officer_id = construction_code.read_personal_code(body["officer_token"], "officer_token")
        facts = floor.session.execute(signin._TOKEN_SIGNIN_FACTS, {  # the token's check and the facts, as the product
            "digest": hashlib.sha256(token.encode()).hexdigest(), "now": now, "project_id": body["project_id"],
            "officer_id": officer_id}).first()
        if facts is None or facts.id is None or not facts.officer_appointed:
            abort(422)
        lng, lat = geo.to_wgs84(float(body["lng"]), float(body["lat"]), body["coord_system"])
        distance = round(geo.distance_m(lng, lat, facts.signin_wgs84_lng, facts.signin_wgs84_lat))
        if distance > facts.signin_radius_m:
            abort(422)
        record_id = floor.session.scalar(add, {
            "project_id": body["project_id"], "person_id": facts.person_id, "allocation_id": facts.id,
            "enterprise_id": facts.enterprise_id, "work_date": now.astimezone(SHANGHAI).date(), "signed_at": now,
            "method": "worker_scan", "officer_person_id": officer_id, "lng": lng, "lat": lat,
            "distance_m": distance})
        floor.session.commit()
        return {"id": record_id, "signed_at": now.isoformat()}, 201

    return app
