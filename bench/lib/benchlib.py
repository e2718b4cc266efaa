"""benchlib - what the figure scripts share: paths, peers started in
private temp directories and stopped by pid, /proc readings, results.

Every process a benchmark starts carries BENCH_TAG=<random> in its
environment; at exit, any process still carrying this run's tag is killed
by pid (a safety net: each peer is stopped through its own shutdown first).
Every wait is bounded.
"""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
BIN = os.path.join(BENCH, "build")
RESULTS = os.environ.get("BENCH_RESULTS", os.path.join(BENCH, "results"))
SDBUILD = os.path.join(ROOT, "build-bench")  # bench/setup builds it (RelWithDebInfo)
DAEMON = os.path.join(SDBUILD, "supervisord", "supervisord")
SUPCTL = os.path.join(SDBUILD, "clients", "supctl")
TAG = os.environ.setdefault("BENCH_TAG", "bench-%d-%d" % (os.getpid(), int(time.time())))

def b(name):
    return os.path.join(BIN, name)

def log(*a):
    print(*a, file=sys.stderr, flush=True)

# ---------------------------------------------------------------- processes

_started = []
_dirs = []

def tmpdir(prefix):
    d = tempfile.mkdtemp(prefix="bench-%s-" % prefix)
    _dirs.append(d)
    return d

def spawn(argv, env=None, stdout=None, stderr=None, cwd=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    e["BENCH_TAG"] = TAG
    p = subprocess.Popen(argv, env=e, cwd=cwd, stdout=stdout or subprocess.DEVNULL,
                         stderr=stderr or subprocess.DEVNULL, start_new_session=True)
    _started.append(p)
    return p

def stop(p, sig=signal.SIGTERM, timeout=15):
    """Signal p by pid, wait bounded, SIGKILL after."""
    if p.poll() is not None:
        return p.returncode
    try:
        os.kill(p.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        log("  %s did not exit in %ss: SIGKILL" % (p.args[0], timeout))
        os.kill(p.pid, signal.SIGKILL)
        return p.wait(10)

def tagged_pids():
    """Pids of live processes whose environment carries this run's tag."""
    want = ("BENCH_TAG=" + TAG).encode()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                if want in f.read().split(b"\0"):
                    out.append(int(d))
        except OSError:
            pass
    return out

def kill_leftovers(quiet=False):
    for _ in range(3):
        pids = tagged_pids()
        if not pids:
            return
        if not quiet:
            log("  leftover processes %s: SIGKILL by pid" % pids)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)

@atexit.register
def _cleanup():
    for p in _started:
        if p.poll() is None:
            try:
                stop(p, timeout=5)
            except Exception:
                pass
    kill_leftovers(quiet=True)
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)

def run(argv, timeout=60, env=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run(argv, env=e, capture_output=True, text=True, timeout=timeout)

def run_json(argv, timeout=120, env=None):
    r = run(argv, timeout=timeout, env=env)
    if r.returncode != 0:
        raise RuntimeError("%s: rc %d: %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    return json.loads(r.stdout.strip().splitlines()[-1])

def timecmd(n, argv, timeout=300):
    return run_json([b("timecmd"), str(n)] + argv, timeout=timeout)

def wait_until(fn, timeout, step=0.01, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    raise TimeoutError("timed out after %ss waiting for %s" % (timeout, what))

_next_port = [0]

def free_port():
    """A free port below the ephemeral range. A port inside it can be taken
    by a client's own source port: a loop of connects to a port nobody
    listens on (during a restart) then ends up connected to itself, and
    the worker can no longer bind."""
    lo = 1024
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo = int(f.read().split()[0])
    except OSError:
        pass
    base = max(1024, lo - 8000)
    if not _next_port[0]:
        _next_port[0] = base + (os.getpid() % 2000)
    for _ in range(6000):
        port = _next_port[0]
        _next_port[0] = port + 1 if port + 1 < lo else base
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port below %d" % lo)

def http_ok(port, timeout=1.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.0 200")
    except OSError:
        return False

class Load:
    """loadclient in the background; .stop() returns its JSON result."""
    def __init__(self, port, max_seconds, conc=1):
        self.p = subprocess.Popen([b("loadclient"), str(port), str(max_seconds), str(conc)],
                                  stdout=subprocess.PIPE, text=True,
                                  env=dict(os.environ, BENCH_TAG=TAG))
        _started.append(self.p)
        self.max = max_seconds

    def stop(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGTERM)
        out, _ = self.p.communicate(timeout=self.max + 30)
        return json.loads(out.strip().splitlines()[-1])

def load_for(port, seconds, conc=1):
    return run_json([b("loadclient"), str(port), str(seconds), str(conc)], timeout=seconds + 60)

class ReadyFifo:
    """A FIFO services write one byte to when they run (see sleeper.c)."""
    def __init__(self, d):
        self.path = os.path.join(d, "ready.fifo")
        os.mkfifo(self.path)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.keep = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)  # no EOF between writers
        self.count = 0

    def wait(self, n, timeout):
        import select
        end = time.monotonic() + timeout
        while self.count < n:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("%d of %d services running after %ss" % (self.count, n, timeout))
            r, _, _ = select.select([self.fd], [], [], min(left, 1.0))
            if r:
                try:
                    self.count += len(os.read(self.fd, 65536))
                except BlockingIOError:
                    pass
        return time.monotonic()

    def close(self):
        os.close(self.fd)
        os.close(self.keep)

# ---------------------------------------------------------------- /proc

def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
            ppid = int(s[s.rindex(")") + 2:].split()[1])
            kids.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError):
            pass
    return kids

def tree(pid):
    kids = children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out

def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"

def mem_of(pid):
    """PSS, RSS (KiB) from smaps_rollup; page tables (KiB) from status."""
    r = {"pss": 0, "rss": 0, "pte": 0}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k == "Pss":
                    r["pss"] = int(v.split()[0])
                elif k == "Rss":
                    r["rss"] = int(v.split()[0])
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmPTE:"):
                    r["pte"] = int(line.split()[1])
    except OSError:
        pass
    return r

def meminfo():
    m = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, _, v = line.partition(":")
            m[k] = int(v.split()[0])
    return m

def kernel_kib(m):
    """Kernel-side memory from /proc/meminfo: slab, kernel stacks, page tables."""
    return m["Slab"] + m["KernelStack"] + m["PageTables"]

def nfds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1

# ---------------------------------------------------------------- peers

class Supervisord:
    name = "supervisord"

    def __init__(self, units, env=None):
        self.dir = tmpdir("sd")
        self.units = os.path.join(self.dir, "units")
        self.rt = os.path.join(self.dir, "rt")
        os.makedirs(self.units)
        for n, text in units.items():
            with open(os.path.join(self.units, n), "w") as f:
                f.write(text)
        self.env = env or {}
        self.p = None

    def start(self, wait=True):
        self.p = spawn([DAEMON, "-u", self.units, "-r", self.rt], env=self.env,
                       stderr=open(os.path.join(self.dir, "daemon.log"), "w"))
        if wait:
            wait_until(lambda: self.p.poll() is not None or
                       run([SUPCTL, "-r", self.rt, "version"], timeout=10).returncode == 0,
                       20, what="supervisord's control socket")
            if self.p.poll() is not None:
                raise RuntimeError("supervisord exited: " + open(os.path.join(self.dir, "daemon.log")).read())
        return self

    def ctl(self, *args, timeout=60):
        return run([SUPCTL, "-r", self.rt] + list(args), timeout=timeout)

    def supervisor_pids(self):
        return [self.p.pid]

    def stop(self):
        return stop(self.p, timeout=30)

class S6:
    name = "s6"

    def __init__(self, services, env=None):
        """services: name -> program (run is a symlink to it: no shell)."""
        self.dir = tmpdir("s6")
        self.scan = os.path.join(self.dir, "scan")
        os.makedirs(self.scan)
        for n, prog in services.items():
            os.makedirs(os.path.join(self.scan, n))
            os.symlink(prog, os.path.join(self.scan, n, "run"))
        self.env = env or {}
        self.n = len(services)

    def start(self):
        self.p = spawn(["s6-svscan", "-c", str(max(1000, 2 * self.n + 10)), self.scan], env=self.env,
                       stderr=open(os.path.join(self.dir, "svscan.log"), "w"))
        return self

    def svc(self, name):
        return os.path.join(self.scan, name)

    def supervisor_pids(self):
        return [p for p in tree(self.p.pid) if comm(p) in ("s6-svscan", "s6-supervise")]

    def stop(self):
        rc = stop(self.p, timeout=30)
        # s6-svscan exits after telling each s6-supervise to stop its service
        # and exit: wait (bounded) for those to be gone.
        try:
            wait_until(lambda: not [p for p in tagged_pids() if comm(p) in ("s6-supervise", "run")],
                       20, 0.05, "s6-supervise to exit")
        except TimeoutError:
            pass
        return rc

class Runit:
    name = "runit"

    def __init__(self, services, env=None):
        self.dir = tmpdir("runit")
        self.sv = os.path.join(self.dir, "service")
        os.makedirs(self.sv)
        for n, prog in services.items():
            os.makedirs(os.path.join(self.sv, n))
            os.symlink(prog, os.path.join(self.sv, n, "run"))
        self.env = env or {}

    def start(self):
        self.p = spawn(["runsvdir", "-P", self.sv], env=self.env)
        return self

    def svc(self, name):
        return os.path.join(self.sv, name)

    def supervisor_pids(self):
        return [p for p in tree(self.p.pid) if comm(p) in ("runsvdir", "runsv")]

    def stop(self):
        # SIGHUP: runsvdir sends TERM to each runsv (which stops its service
        # and exits), then exits itself.
        rc = stop(self.p, sig=signal.SIGHUP, timeout=30)
        try:
            wait_until(lambda: not [p for p in tagged_pids() if comm(p) in ("runsv", "run")],
                       20, 0.05, "runsv to exit")
        except TimeoutError:
            pass
        return rc

class PySupervisor:
    name = "supervisor"

    def __init__(self, services, env=None, startsecs=0):
        self.dir = tmpdir("pysup")
        self.conf = os.path.join(self.dir, "supervisord.conf")
        sock = os.path.join(self.dir, "supervisor.sock")
        lines = [
            "[supervisord]", "nodaemon=true", "logfile=%s/supervisord.log" % self.dir,
            "pidfile=%s/supervisord.pid" % self.dir, "minfds=16384", "childlogdir=%s" % self.dir,
            "user=root" if os.getuid() == 0 else "",
            "[unix_http_server]", "file=%s" % sock,
            "[supervisorctl]", "serverurl=unix://%s" % sock,
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        ]
        for n, prog in services.items():
            lines += ["[program:%s]" % n, "command=%s" % prog, "autostart=true", "autorestart=true",
                      "startsecs=%d" % startsecs, "stopsignal=TERM", "stopwaitsecs=10",
                      "stdout_logfile=NONE", "stderr_logfile=NONE"]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.env = env or {}

    def start(self, wait=True):
        self.p = spawn(["/usr/bin/supervisord", "-n", "-c", self.conf], env=self.env)
        if wait:
            wait_until(lambda: self.p.poll() is not None or self.ctl("pid", timeout=10).returncode == 0, 30, 0.1,
                       "the Python supervisor's socket")
        return self

    def ctl(self, *args, timeout=60):
        return run(["/usr/bin/supervisorctl", "-c", self.conf] + list(args), timeout=timeout)

    def supervisor_pids(self):
        return [self.p.pid]

    def stop(self):
        return stop(self.p, timeout=60)

# ---------------------------------------------------------------- results

def unit_service(execstart, env=None, extra=""):
    """A [Service] section; BENCH_TAG goes into its environment (supervisord
    gives services a clean environment) so leftovers can be found."""
    s = "[Service]\nExecStart=%s\n" % execstart
    for k, v in dict(env or {}, BENCH_TAG=TAG).items():
        s += "Environment=%s=%s\n" % (k, v)
    return s + extra

def save(fig, data):
    os.makedirs(RESULTS, exist_ok=True)
    data["figure"] = fig
    main = sys.modules.get("__main__")
    data.setdefault("script", os.path.basename(sys.argv[0]))
    if main is not None and main.__doc__:
        data.setdefault("doc", "\n".join(main.__doc__.strip().splitlines()[1:]).strip())
    data["generated"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    with open(os.path.join(RESULTS, "fig%d.json" % fig), "w") as f:
        json.dump(data, f, indent=1)

def print_table(cols, rows):
    w = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(cols)]
    print("  ".join(str(c).ljust(w[i]) for i, c in enumerate(cols)))
    for r in rows:
        print("  ".join(str(x).ljust(w[i]) for i, x in enumerate(r)))

def ratio(a, b):
    return "%.2fx" % (a / b) if b else "-"

def target(name, goal, measured, ok):
    t = {"name": name, "target": goal, "measured": measured, "pass": bool(ok)}
    print("TARGET %-4s %s: %s (target: %s)" % ("PASS" if ok else "FAIL", name, measured, goal))
    return t

def setup_limits():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

# ---------------------------------------------------------------- N services

PEERS = ("supervisord", "s6", "runit", "supervisor")

def make_peer(kind, n, fifo_path, prog=None):
    """A peer with n services s0..s{n-1} running sleeper (or prog), each
    writing to fifo_path when it runs. Not started."""
    prog = prog or b("sleeper")
    env = {"READY_FIFO": fifo_path}
    if kind == "supervisord":
        return Supervisord({"s%d.service" % i: unit_service(prog, env) for i in range(n)})
    cls = {"s6": S6, "runit": Runit, "supervisor": PySupervisor}[kind]
    return cls({"s%d" % i: prog for i in range(n)}, env=env)

def start_n(kind, n, timeout=180):
    """Start kind with n services; return (peer, fifo, seconds until all ran),
    timed from the spawn of the supervisor to the n-th service's first byte."""
    d = tmpdir("fifo")
    fifo = ReadyFifo(d)
    peer = make_peer(kind, n, fifo.path)
    t0 = time.monotonic()
    if kind in ("supervisord", "supervisor"):
        peer.start(wait=False)
    else:
        peer.start()
    t1 = fifo.wait(n, timeout)
    return peer, fifo, t1 - t0

def stop_peer(peer, fifo=None):
    peer.stop()
    kill_leftovers()
    if fifo:
        fifo.close()
