"""A PostgreSQL cluster of a test's own, on a free port, that the test may crash at will.

The machine's PostgreSQL is shared by other test runs; stopping it would break them
mid-run. This one lives in a temporary folder and is deleted afterwards.
"""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile

from tests.reminders.smtp import free_port


def server_binaries():
    """The newest installed server's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


class PrivateCluster:
    def __init__(self, bindir, folder):
        self.bindir, self.folder = bindir, folder
        self.data = os.path.join(folder, "data")
        self.port = free_port()

    def _run(self, *args):
        command = [os.path.join(self.bindir, args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def init(self):
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = os.path.join(self.folder, "server.log")
        self._run("pg_ctl", "-D", self.data, "-l", log, "-o", options, "-w", "start")

    def stop(self, mode="fast"):
        """``immediate`` is a crash: no checkpoint, what was not flushed to the WAL is gone."""
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def create_database(self, name):
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)


@contextlib.contextmanager
def private_cluster():
    bindir = server_binaries()
    folder = tempfile.mkdtemp(prefix="tracker-pg-")
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
    cluster = PrivateCluster(bindir, folder)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
