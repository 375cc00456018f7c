"""Extension instances only; they are bound to the app in create_app."""

from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints so Alembic can alter them on SQLite and PostgreSQL alike.
naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# expire_on_commit off: a page that commits its audit row can still render what it loaded
# without reloading every row (an N+1 in disguise).
db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention),
                session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
