"""The namespace lab: a fabric switch, hosts with NICs, one userspace OVS and one agent per host, an engine.

Layout for prefix ``P`` (all names carry it, so two labs coexist):

- ``P-fab``: the fabric namespace with Linux bridge ``sw`` (no VLAN filtering: tagged frames pass);
- ``P-hI``: host I; its NICs ``eth0..`` are veth cables whose other ends ``P<I>-<K>`` sit on the switch;
- ``P-eng`` in the root namespace, cabled to the switch, carries the engine's address on the mgmt subnet;
- per host: ``ovsdb-server``/``ovs-vswitchd`` with their own run dir and conf.db, and ``lognet agent run``;
- VMs run as namespaces ``P-hI-<vm>`` (made by the host's agent).

Everything the lab made is recorded in ``<dir>/lab.json`` so ``lab down`` removes it all.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import httpx

from lognet.agent.persist import atomic_write_json

AGENT_PORT = 9400
MGMT_NETWORK = "mgmt"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


class LabError(Exception):
    pass


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(args), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise LabError(f"{' '.join(args)}: {done.stderr.strip()}")
    return done


def lab_dir(prefix: str) -> Path:
    return Path(os.environ.get("LOGNET_LAB_DIR", "/tmp")) / f"lognet-lab-{prefix}"


def mgmt_subnet(prefix: str) -> str:
    """A /24 under 10.0.0.0/8 derived from the prefix, so labs do not share a subnet."""
    n = zlib.crc32(prefix.encode()) % 200 + 20
    return f"10.{n}.0"


def _lognet_exe() -> str:
    exe = Path(sys.executable).parent / "lognet"
    return str(exe) if exe.exists() else shutil.which("lognet") or "lognet"


def _kill_pidfile(path: Path, sig: int = signal.SIGTERM) -> None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return
    _kill(pid, sig)


def _kill(pid: int, sig: int = signal.SIGTERM, wait: float = 5.0) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            if _is_zombie(pid):
                os.waitpid(pid, os.WNOHANG)
                return
        except (ProcessLookupError, ChildProcessError):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return False


class Lab:
    """A lab described by its JSON state file; the methods build, inspect and tear it down."""

    def __init__(self, prefix: str) -> None:
        if not prefix or len(prefix) > 6 or not prefix.isalnum():
            raise LabError("the lab prefix must be 1-6 letters or digits")
        self.prefix = prefix
        self.dir = lab_dir(prefix)
        self.file = self.dir / "lab.json"
        self.state: dict[str, Any] = json.loads(self.file.read_text()) if self.file.exists() else {}

    # --- bookkeeping -------------------------------------------------------------------------------------

    def save(self) -> None:
        atomic_write_json(self.file, self.state)

    @property
    def hosts(self) -> dict[str, dict[str, Any]]:
        hosts: dict[str, dict[str, Any]] = self.state.setdefault("hosts", {})
        return hosts

    def host(self, name: str) -> dict[str, Any]:
        host = self.hosts.get(name) or self.hosts.get(f"{self.prefix}-{name}")
        if host is None:
            raise LabError(f"no host {name} in lab {self.prefix}")
        return host

    def agent_client(self, host: dict[str, Any], timeout: float = 10.0) -> httpx.Client:
        return httpx.Client(base_url=host["agent_url"], timeout=timeout,
                            headers={"Authorization": f"Bearer {host['secret']}"})

    # --- up ----------------------------------------------------------------------------------------------

    def up(self, hosts: int, nics: int, engine_url: str | None = None, engine: bool = True) -> None:
        """Build the fabric, the hosts and (unless given or disabled) the engine; add hosts to it."""
        if self.state:
            raise LabError(f"lab {self.prefix} exists already ({self.file}); run lab down first")
        if not 1 <= nics <= 8 or not 1 <= hosts <= 50:
            raise LabError("hosts must be 1-50 and nics 1-8")
        self.dir.mkdir(parents=True, exist_ok=True)
        subnet = mgmt_subnet(self.prefix)
        self.state = {"prefix": self.prefix, "subnet": subnet, "namespaces": [], "links": [], "hosts": {},
                      "engine": {"url": engine_url, "pid": None, "admin": "admin"}}
        self.save()
        try:
            self._fabric(subnet)
            for i in range(1, hosts + 1):
                self._add_host(i, nics, subnet)
            if engine and engine_url is None:
                self._start_engine(subnet)
            if self.state["engine"]["url"]:
                self._register_hosts()
        except BaseException:
            self.down()
            raise

    def _fabric(self, subnet: str) -> None:
        fab = f"{self.prefix}-fab"
        self._netns(fab)
        sh("ip", "-n", fab, "link", "add", "sw", "type", "bridge")
        sh("ip", "-n", fab, "link", "set", "sw", "up")
        eng, up = f"{self.prefix}-eng", f"{self.prefix}-up"
        sh("ip", "link", "add", eng, "mtu", "9000", "type", "veth", "peer", "name", up, "mtu", "9000",
           "netns", fab)
        self.state["links"].append(eng)
        self.save()
        sh("ip", "-n", fab, "link", "set", up, "master", "sw", "up")
        sh("ip", "addr", "add", f"{subnet}.1/24", "dev", eng)
        sh("ip", "link", "set", eng, "up")
        # Frames leave a veth with checksums left to offload; OVS's userspace datapath forwards them as they
        # are, so the far end would drop TCP. Senders into the lab compute checksums in software.
        sh("ethtool", "-K", eng, "tx", "off")

    def _netns(self, name: str) -> None:
        sh("ip", "netns", "add", name)
        self.state["namespaces"].append(name)
        self.save()
        sh("ip", "-n", name, "link", "set", "lo", "up")

    def _add_host(self, i: int, nics: int, subnet: str) -> None:
        name = f"{self.prefix}-h{i}"
        ns, fab = name, f"{self.prefix}-fab"
        self._netns(ns)
        for k in range(nics):
            self._cable(i, k)
        hdir = self.dir / name
        address = f"{subnet}.{10 + i}"
        host: dict[str, Any] = {"name": name, "netns": ns, "nics": nics, "address": address, "dir": str(hdir),
                "agent_url": f"http://{address}:{AGENT_PORT}", "secret": secrets.token_urlsafe(24),
                "vm_prefix": f"{name}-", "agent_pid": None}
        self.hosts[name] = host
        self.save()
        (hdir / "agent").mkdir(parents=True, exist_ok=True)
        (hdir / "secret").write_text(host["secret"])
        os.chmod(hdir / "secret", 0o600)
        # The installed host comes with its management network committed (as a host deployed by oVirt).
        atomic_write_json(hdir / "agent" / "safe.json", {"networks": {MGMT_NETWORK: {
            "nic": "eth0", "vlan": None, "mtu": 1500, "bridged": True,
            "ipv4": {"boot_protocol": "static", "address": address, "netmask": "24", "gateway": None},
            "ipv6": {"boot_protocol": "none"}, "default_route": False}}, "bonds": {}})
        del fab
        self.start_host(name)

    def _cable(self, i: int, k: int) -> None:
        host, fab, end = f"{self.prefix}-h{i}", f"{self.prefix}-fab", f"{self.prefix}{i}-{k}"
        sh("ip", "-n", fab, "link", "add", end, "mtu", "9000", "type", "veth", "peer", "name", f"eth{k}",
           "netns", host)
        sh("ip", "-n", fab, "link", "set", end, "master", "sw", "up")
        sh("ip", "-n", host, "link", "set", f"eth{k}", "up")

    def set_cable(self, host: str, k: int, plugged: bool) -> None:
        """Plug or pull the cable of a host's NIC ``eth<k>`` (its switch end goes up or down)."""
        i = int(self.host(host)["name"].rsplit("-h", 1)[1])
        end = f"{self.prefix}{i}-{k}"
        sh("ip", "-n", f"{self.prefix}-fab", "link", "set", end, "up" if plugged else "down")

    def _ovs_env(self, host: dict[str, Any]) -> dict[str, str]:
        hdir = Path(host["dir"])
        return {**os.environ, "OVS_RUNDIR": str(hdir / "run" / "ovs"), "OVS_DBDIR": str(hdir / "ovsdb"),
                "OVS_LOGDIR": str(hdir / "log")}

    def start_host(self, name: str) -> None:
        """Power on: OVS (its database file survives), then the agent, and wait until mgmt answers."""
        host = self.host(name)
        hdir, env, ns = Path(host["dir"]), self._ovs_env(host), host["netns"]
        for sub in ("run/ovs", "ovsdb", "log"):
            (hdir / sub).mkdir(parents=True, exist_ok=True)
        db, run = hdir / "ovsdb" / "conf.db", hdir / "run" / "ovs"
        if not db.exists():
            sh("ovsdb-tool", "create", str(db), SCHEMA)
        netns_exec = ["ip", "netns", "exec", ns]
        for cmd in (
            ["ovsdb-server", str(db), f"--remote=punix:{run}/db.sock", f"--pidfile={run}/ovsdb-server.pid",
             "--detach", f"--log-file={hdir}/log/ovsdb-server.log"],
            ["ovs-vswitchd", f"unix:{run}/db.sock", f"--pidfile={run}/ovs-vswitchd.pid", "--detach",
             f"--log-file={hdir}/log/ovs-vswitchd.log"],
        ):
            done = subprocess.run(netns_exec + cmd, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise LabError(f"{cmd[0]} in {ns}: {done.stderr.strip()}")
            if cmd[0] == "ovsdb-server":  # what ovs-ctl does on a first start: the Open_vSwitch row
                sh("ovs-vsctl", f"--db=unix:{run}/db.sock", "--no-wait", "init")
        self.start_agent(name)

    def start_agent(self, name: str, wait: bool = True) -> None:
        host = self.host(name)
        hdir = Path(host["dir"])
        # nsenter keeps the root mount namespace, so VM namespaces the agent makes are visible to the lab.
        cmd = ["nsenter", f"--net=/run/netns/{host['netns']}", "--", _lognet_exe(), "agent", "run",
               "--state-dir", str(hdir / "agent"), "--listen", f"0.0.0.0:{AGENT_PORT}",
               "--secret-file", str(hdir / "secret"), "--ovs-db", str(hdir / "run" / "ovs" / "db.sock"),
               "--hostname", host["name"], "--run-dir", str(hdir / "run" / "agent"),
               "--vm-netns-prefix", host["vm_prefix"]]
        with open(hdir / "log" / "agent.log", "ab") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        host["agent_pid"] = proc.pid
        self.save()
        if wait:
            self.wait_agent(name, proc)

    def wait_agent(self, name: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 60) -> None:
        """Until the agent answers over the management network (which proves mgmt works)."""
        host = self.host(name)
        deadline = time.monotonic() + timeout
        with self.agent_client(host, timeout=2) as client:
            while time.monotonic() < deadline:
                if proc is not None and proc.poll() is not None:
                    tail = (Path(host["dir"]) / "log" / "agent.log").read_text()[-3000:]
                    raise LabError(f"agent of {name} exited:\n{tail}")
                try:
                    if client.get("/agent/v1/capabilities").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise LabError(f"agent of {name} did not answer at {host['agent_url']}")

    def stop_agent(self, name: str, sig: int = signal.SIGTERM) -> None:
        host = self.host(name)
        if host.get("agent_pid"):
            _kill(host["agent_pid"], sig)
            host["agent_pid"] = None
            self.save()

    def stop_host(self, name: str) -> None:
        """Power off: agent and OVS stop, running VMs and every kernel device but the NICs are lost."""
        host = self.host(name)
        self.stop_agent(name)
        run = Path(host["dir"]) / "run" / "ovs"
        _kill_pidfile(run / "ovs-vswitchd.pid")
        _kill_pidfile(run / "ovsdb-server.pid")
        for vm_ns in self._vm_namespaces(host):
            sh("ip", "netns", "del", vm_ns, check=False)
        ns = host["netns"]
        links = json.loads(sh("ip", "-j", "-n", ns, "link", "show").stdout or "[]")
        for link in links:
            ifname = link["ifname"]
            if ifname != "lo" and not ifname.startswith("eth"):
                sh("ip", "-n", ns, "link", "del", ifname, check=False)
            elif ifname.startswith("eth"):
                sh("ip", "-n", ns, "addr", "flush", "dev", ifname, check=False)
                sh("ip", "-n", ns, "link", "set", ifname, "mtu", "1500", check=False)
        shutil.rmtree(Path(host["dir"]) / "run", ignore_errors=True)

    def reboot(self, name: str) -> None:
        self.stop_host(name)
        self.start_host(name)

    def _vm_namespaces(self, host: dict[str, Any]) -> list[str]:
        if not os.path.isdir("/run/netns"):
            return []
        return [n for n in os.listdir("/run/netns") if n.startswith(host["vm_prefix"])]

    # --- engine ------------------------------------------------------------------------------------------

    def _start_engine(self, subnet: str) -> None:
        """The engine on SQLite in the lab dir, listening on the lab's side of the management network."""
        port = 9300 + zlib.crc32(self.prefix.encode()) % 500
        url = f"http://{subnet}.1:{port}"
        password = os.environ.get("LOGNET_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        env = {**os.environ, "LOGNET_DATABASE_URL": f"sqlite:///{self.dir / 'engine.db'}",
               "LOGNET_STATE_DIR": str(self.dir), "LOGNET_ADMIN_PASSWORD": password}
        # The engine's app factory through uvicorn: the same thing `lognet serve` runs.
        cmd = [sys.executable, "-m", "uvicorn", "lognet.api.app:create_app", "--factory",
               "--host", f"{subnet}.1", "--port", str(port), "--log-level", "warning"]
        with open(self.dir / "engine.log", "ab") as log:
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.state["engine"].update(url=url, pid=proc.pid, password=password)
        self.save()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LabError(f"engine exited: {(self.dir / 'engine.log').read_text()[-2000:]}")
            try:
                httpx.get(f"{url}/api/v1/auth/me", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise LabError("engine did not start")

    def engine_token(self) -> str:
        url = self.state["engine"]["url"]
        password = os.environ.get("LOGNET_ADMIN_PASSWORD") or self.state["engine"].get("password", "")
        body = {"username": "admin", "password": password}
        r = httpx.post(f"{url}/api/v1/auth/token", json=body, timeout=10)
        if r.status_code != 200:
            raise LabError(f"engine login failed: {r.status_code} {r.text[:200]}")
        return str(r.json()["token"])

    def _register_hosts(self) -> None:
        url, token = self.state["engine"]["url"], self.engine_token()
        for host in self.hosts.values():
            r = httpx.post(f"{url}/api/v1/hosts", headers={"Authorization": f"Bearer {token}"}, timeout=60,
                           json={"name": host["name"], "cluster": "Default", "agent_url": host["agent_url"],
                                 "secret": host["secret"]})
            if r.status_code >= 300:
                raise LabError(f"adding {host['name']} to the engine: {r.status_code} {r.text[:300]}")
            host["engine_id"] = r.json().get("id")
        self.save()

    # --- inspect -----------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        hosts = []
        for host in self.hosts.values():
            entry: dict[str, Any] = {"name": host["name"], "address": host["address"],
                                     "agent_url": host["agent_url"], "nics": [], "vms": []}
            try:
                with self.agent_client(host, timeout=3) as client:
                    caps = client.get("/agent/v1/capabilities").json()
                entry.update(nics=caps["nics"], vms=caps["vms"], networks=sorted(caps["networks"]),
                             config_dirty=caps["config_dirty"], agent="up")
            except (httpx.HTTPError, KeyError, ValueError):
                entry["agent"] = "down"
            hosts.append(entry)
        engine = self.state.get("engine", {})
        return {"prefix": self.prefix, "engine_url": engine.get("url"), "admin_user": engine.get("admin"),
                "hosts": hosts}

    def vm_netns(self, vm: str) -> str:
        for host in self.hosts.values():
            ns = f"{host['vm_prefix']}{vm}"
            if os.path.exists(f"/run/netns/{ns}"):
                return ns
        raise LabError(f"no running VM {vm} in lab {self.prefix}")

    def exec_vm(self, vm: str, cmd: list[str]) -> subprocess.CompletedProcess[str]:
        ns = self.vm_netns(vm)
        return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True)

    def exec_host(self, host: str, cmd: list[str]) -> subprocess.CompletedProcess[str]:
        ns = self.host(host)["netns"]
        return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True)

    # --- down --------------------------------------------------------------------------------------------

    def down(self) -> None:
        """Remove every namespace, process, link and file this lab made (idempotent)."""
        engine = self.state.get("engine") or {}
        if engine.get("pid"):
            _kill(engine["pid"])
        for name in list(self.hosts):
            with contextlib.suppress(LabError):
                self.stop_host(name)
        for ns in reversed(self.state.get("namespaces", [])):
            sh("ip", "netns", "del", ns, check=False)
        for link in self.state.get("links", []):
            sh("ip", "link", "del", link, check=False)
        if os.path.isdir("/run/netns"):  # VM namespaces of agents that died before cleaning up
            for ns in os.listdir("/run/netns"):
                if ns.startswith(f"{self.prefix}-"):
                    sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.state = {}
