"""Hosts (simulated), setup networks with live progress, failures' exit codes, templates, VMs and vNICs."""

from __future__ import annotations

import httpx

from tests.cli.conftest import Run, as_json, ok
from tests.conftest import unique


def _network_in_cluster(cli: Run, vlan: int, vm: bool = True) -> str:
    name = unique("hn")
    ok(cli("network", "create", name, "--vlan", str(vlan), *([] if vm else ["--no-vm"])))
    ok(cli("cluster", "network", "attach", "Default", name, "--not-required"))
    return name


def _host(cli: Run, nics: int = 4) -> dict:
    host = as_json(cli("host", "add", unique("host"), "--simulated-nics", str(nics), "-f", "json"))
    assert host["simulated"] is True and host["nic_count"] == nics
    return host


def _attachments(api: httpx.Client, host: str) -> dict[str, str]:
    return {a["network_name"]: a["nic"] for a in api.get(f"/hosts/{host}/networkattachments").json()["results"]}


def test_host_add_requires_one_kind(cli: Run) -> None:
    result = cli("host", "add", unique("h"))
    assert result.exit_code == 2 and "HOST_KIND_REQUIRED" in result.stderr


def test_setup_networks_dry_run_then_apply_and_commit(cli: Run, api: httpx.Client) -> None:
    host = _host(cli)["name"]
    net = _network_in_cluster(cli, 110)
    args = ["host", "setup-networks", host, "--attach", "mgmt=eth0:static:192.0.2.5/24:192.0.2.1",
            "--bond", "bond0=eth1,eth2:active-backup", "--attach", f"{net}=bond0"]

    dry = as_json(cli(*args, "--dry-run", "-f", "json"))
    assert dry["dry_run"] is True
    assert {(c["action"], c["kind"], c["name"]) for c in dry["changes"]} >= {("add", "bond", "bond0")}
    assert {a["network_name"] for a in dry["attachments"]} == {"mgmt", net}
    assert _attachments(api, host) == {}  # nothing applied
    table = ok(cli(*args, "--dry-run"))
    assert "bond0" in table.stdout and "Dry run" in table.stderr

    result = ok(cli(*args))
    assert "succeeded" in result.stdout
    assert "apply: succeeded" in result.stderr and "confirm: succeeded" in result.stderr  # progress lines
    assert _attachments(api, host) == {"mgmt": "eth0", net: "bond0"}
    nics = {n["name"]: n for n in as_json(cli("host", "nics", host, "-f", "json"))}
    assert nics["bond0"]["slaves"] == ["eth1", "eth2"] and net in nics["bond0"]["networks"]
    atts = ok(cli("host", "attachments", host, "-f", "value", "-c", "network_name", "-c", "nic", "-c", "ipv4"))
    assert "mgmt eth0 192.0.2.5/255.255.255.0 gw 192.0.2.1" in atts.stdout.splitlines()
    assert as_json(cli("host", "show", host, "-f", "json"))["config_dirty"] is True

    ok(cli("host", "commit", host))
    assert api.get(f"/hosts/{host}").json()["config_dirty"] is False

    # A rule violation of the merged state: a second untagged network on eth0 is refused, nothing changes.
    untagged = unique("ut")
    ok(cli("network", "create", untagged))
    ok(cli("cluster", "network", "attach", "Default", untagged, "--not-required"))
    bad = cli("host", "setup-networks", host, "--attach", f"{untagged}=eth0")
    assert bad.exit_code == 3 and "NIC_HAS_UNTAGGED_NETWORK" in bad.stderr
    bad_input = cli("host", "setup-networks", host, "--attach", f"{net}=eth9")
    assert bad_input.exit_code == 2 and "NIC_NOT_FOUND" in bad_input.stderr
    assert _attachments(api, host) == {"mgmt": "eth0", net: "bond0"}

    # Detach and remove the bond in one request.
    ok(cli("host", "setup-networks", host, "--detach", net, "--remove-bond", "bond0", "--commit"))
    assert _attachments(api, host) == {"mgmt": "eth0"}
    assert api.get(f"/hosts/{host}").json()["config_dirty"] is False


def test_connectivity_loss_rolls_back_exit_5(cli: Run, api: httpx.Client) -> None:
    host = _host(cli)["name"]
    net = _network_in_cluster(cli, 120)
    r = api.patch(f"/hosts/{host}", json={"simulated": {"fail_step": "connectivity"}})
    assert r.status_code == 200, r.text
    result = cli("host", "setup-networks", host, "--attach", f"{net}=eth1", "--timeout", "1")
    assert result.exit_code == 5, result.stderr
    assert "Error [CONNECTIVITY_LOST]" in result.stderr
    assert _attachments(api, host) == {}
    # The failure was one-shot: the same request now succeeds.
    ok(cli("host", "setup-networks", host, "--attach", f"{net}=eth1", "--timeout", "5"))
    assert _attachments(api, host) == {net: "eth1"}


def test_host_failure_exit_4(cli: Run, api: httpx.Client) -> None:
    host = _host(cli)["name"]
    net = _network_in_cluster(cli, 130)
    ok(cli("host", "set", host, "--fail-step", "apply"))
    result = cli("host", "network", "attach", host, net, "eth1")
    assert result.exit_code == 4, result.stderr
    assert "Error [APPLY_FAILED]" in result.stderr
    assert _attachments(api, host) == {}


def test_shortcuts_no_wait_and_job_commands(cli: Run, api: httpx.Client) -> None:
    host = _host(cli)["name"]
    net = _network_in_cluster(cli, 140)
    job_id = ok(cli("host", "bond", "add", host, "bond1", "--slave", "eth2", "--slave", "eth3", "--no-wait")
                ).stdout.strip()
    waited = as_json(cli("job", "wait", job_id, "-f", "json"))
    assert waited["id"] == job_id and waited["status"] == "succeeded"
    assert job_id in ok(cli("job", "list", "--host", host, "-f", "value", "-c", "id")).stdout.split()
    assert as_json(cli("job", "show", job_id, "-f", "json"))["kind"] == "setup_networks"
    ok(cli("host", "network", "attach", host, net, "bond1", "--dhcp"))
    assert _attachments(api, host) == {net: "bond1"}
    ok(cli("host", "network", "set", host, net, "--nic", "eth1"))
    assert _attachments(api, host) == {net: "eth1"}
    ok(cli("host", "network", "detach", host, net))
    ok(cli("host", "bond", "remove", host, "bond1"))
    assert _attachments(api, host) == {}
    assert not [n for n in api.get(f"/hosts/{host}/nics").json()["results"] if n["kind"] == "bond"]
    ok(cli("host", "refresh", host))
    ok(cli("host", "sync", host))
    ok(cli("host", "delete", host))
    assert api.get(f"/hosts/{host}").status_code == 404


def test_template_vm_and_vnics(cli: Run, api: httpx.Client) -> None:
    net = _network_in_cluster(cli, 150)
    host = _host(cli)["name"]
    ok(cli("host", "setup-networks", host, "--attach", "mgmt=eth0", "--attach", f"{net}=eth1"))
    assert api.get(f"/hosts/{host}").json()["status"] == "up"
    tpl = unique("tpl")
    ok(cli("template", "create", tpl, "--description", "test template"))
    nic = as_json(cli("template", "nic", "add", tpl, "nic1", "--network", net, "--interface", "e1000", "-f", "json"))
    assert nic["network_name"] == net and nic["interface"] == "e1000"
    assert ok(cli("template", "nic", "list", tpl, "-f", "value", "-c", "name")).stdout.split() == ["nic1"]

    vm = unique("vm")
    created = as_json(cli("vm", "create", vm, "--template", tpl, "-f", "json"))
    assert created["template"] and created["status"] == "down"
    vnics = as_json(cli("vm", "nic", "list", vm, "-f", "json"))
    assert [(v["name"], v["network_name"]) for v in vnics] == [("nic1", net)]

    started = as_json(cli("vm", "start", vm, "--host", host, "-f", "json"))
    assert started["status"] == "up" and started["host"] == api.get(f"/hosts/{host}").json()["id"]

    # A plugged vNIC of a running VM cannot be removed: unplug first.
    refused = cli("vm", "nic", "remove", vm, "nic1")
    assert refused.exit_code == 3 and "VNIC_PLUGGED" in refused.stderr
    assert as_json(cli("vm", "nic", "unplug", vm, "nic1", "-f", "json"))["plugged"] is False
    assert api.get(f"/vms/{vm}/nics/nic1").json()["plugged"] is False
    assert as_json(cli("vm", "nic", "plug", vm, "nic1", "-f", "json"))["plugged"] is True
    ok(cli("vm", "nic", "unlink", vm, "nic1"))
    assert api.get(f"/vms/{vm}/nics/nic1").json()["linked"] is False
    ok(cli("vm", "nic", "link", vm, "nic1"))
    added = as_json(cli("vm", "nic", "add", vm, "nic2", "--network", net, "-f", "json"))
    assert added["mac"] and added["mac"] != vnics[0]["mac"]
    # The network used by a running VM cannot be detached from the host.
    busy = cli("host", "network", "detach", host, net)
    assert busy.exit_code == 3 and "NETWORK_USED_BY_RUNNING_VMS" in busy.stderr

    assert as_json(cli("vm", "stop", vm, "-f", "json"))["status"] == "down"
    ok(cli("vm", "nic", "remove", vm, "nic2"))
    ok(cli("vm", "delete", vm))
    ok(cli("template", "nic", "remove", tpl, "nic1"))
    ok(cli("template", "delete", tpl))
    assert api.get(f"/templates/{tpl}").status_code == 404


def test_setup_networks_ipv6(cli: Run, api: httpx.Client) -> None:
    host = _host(cli)["name"]
    net = _network_in_cluster(cli, 115)
    ok(cli("host", "setup-networks", host, "--attach", "mgmt=eth0", "--attach", f"{net}=eth1:static:192.0.2.9/24",
           "--ipv6", f"{net}=2001:db8::9/64@2001:db8::1"))
    ip = api.get(f"/hosts/{host}/networkattachments/{net}").json()["ip_configuration"]
    assert ip["ipv4"]["address"] == "192.0.2.9"
    assert ip["ipv6"] == {"boot_protocol": "static", "address": "2001:db8::9", "prefix": 64, "gateway": "2001:db8::1"}
    # IPv6 alone keeps the IPv4 side the attachment already has.
    ok(cli("host", "setup-networks", host, "--ipv6", f"{net}=autoconf"))
    ip = api.get(f"/hosts/{host}/networkattachments/{net}").json()["ip_configuration"]
    assert ip["ipv6"] == {"boot_protocol": "autoconf"} and ip["ipv4"]["address"] == "192.0.2.9"
    bad = cli("host", "setup-networks", host, "--ipv6", f"{net}=2001:db8::9")
    assert bad.exit_code == 2 and "IP_CONFIGURATION_INVALID" in bad.stderr
