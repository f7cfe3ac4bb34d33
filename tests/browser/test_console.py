"""The web console end to end: a real engine, real Chromium, every change through the REST API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.conftest import login, shot
from tests.conftest import Server

pytestmark = pytest.mark.browser


def _host(api: httpx.Client, name: str, nics: int = 4) -> dict[str, Any]:
    host = api.post("/hosts", json={"name": name, "simulated": {"nics": nics}}).json()
    job = api.post(f"/hosts/{host['id']}/setupnetworks?wait=true", json={
        "modified_network_attachments": [{"network": "mgmt", "nic": "eth0", "ip_configuration": {
            "ipv4": {"boot_protocol": "static", "address": "192.0.2.10", "netmask": "255.255.255.0"}}}],
        "commit_on_success": True}).json()
    assert job["status"] == "succeeded", job
    return host


def _drag(page: Any, source: str, target: str) -> None:
    """A real pointer drag (down, several moves, up) from one element onto another."""
    src, dst = page.locator(source), page.locator(target)
    src.scroll_into_view_if_needed()
    a, b = src.bounding_box(), dst.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=8)
    page.mouse.up()


def _staged(page: Any) -> None:
    page.wait_for_selector("#hn-status.staged, #hn-status.invalid")
    assert "Refused" not in page.inner_text("#hn-status"), page.inner_text("#hn-status")
    page.wait_for_selector("#hn-status.staged")
    assert "valid" in page.inner_text("#hn-status")


def _apply(page: Any) -> None:
    assert page.is_checked("#hn-check")  # verify connectivity
    page.fill("#hn-timeout", "30")
    page.click("#hn-apply")
    page.wait_for_selector('#hn-job [data-status="succeeded"]', timeout=30000)
    page.wait_for_selector("#hn-status.done")


def test_login_network_cluster_host_editor_commit_and_vnics(page: Any, api: httpx.Client, web: Server) -> None:
    login(page)
    host = _host(api, "web-h1")
    api.post("/networks", json={"name": "red"})  # untagged, for the refused drop
    api.post("/clusters/Default/networks", json={"network": "red", "required": False})
    page.reload()
    page.wait_for_selector("#overview-hosts a")
    shot(page, "overview")

    # create a network; the API's message shows at the field first
    page.goto("/networks")
    page.wait_for_selector("#network-form")
    page.fill("#network-form input[name=name]", "blue")
    page.fill("#network-form input[name=vlan]", "5000")
    page.click("#network-form button[type=submit]")
    page.wait_for_selector("#network-form label.invalid .field-error")
    assert "VLAN id must be between 0 and 4094" in page.inner_text("#network-form")
    page.fill("#network-form input[name=vlan]", "10")
    page.click("#network-form button[type=submit]")
    page.wait_for_selector('#networks-table tr[data-network="blue"]')
    shot(page, "networks")

    # attach it to the cluster
    page.goto("/clusters")
    page.click("text=Default >> nth=0")
    page.wait_for_selector("#attach-form")
    page.select_option("#attach-network", label="blue (VLAN 10)")
    page.click("#attach-form button[type=submit]")
    page.wait_for_selector('#cluster-networks tr[data-network="blue"]')

    # the host network page: drag the network onto a NIC, see it validated, apply with connectivity check
    page.goto(f"/hosts/{host['id']}")
    page.wait_for_selector("#hostnet-svg")
    _drag(page, '#hn-unassigned [data-name="blue"]', 'svg [data-kind="nic"][data-name="eth1"]')
    _staged(page)
    assert "add network blue on eth1" in page.inner_text("#hn-diff")
    shot(page, "setup-editor")
    _apply(page)
    page.wait_for_selector('svg [data-kind="net"][data-name="blue"][data-iface="eth1"]:not(.staged)')
    nics = {n["name"]: n for n in api.get(f"/hosts/{host['id']}/nics").json()["results"]}
    assert nics["eth1"]["networks"] == ["blue"]

    # bond two NICs by drag and drop
    _drag(page, 'svg [data-kind="nic"][data-name="eth3"]', 'svg [data-kind="nic"][data-name="eth2"]')
    _staged(page)
    assert "add bond bond0" in page.inner_text("#hn-diff")
    _apply(page)
    page.wait_for_selector('svg [data-kind="bond"][data-name="bond0"]')
    shot(page, "host-network")

    # an invalid drop is refused with the API's reason and nothing is staged
    _drag(page, '#hn-unassigned [data-name="red"]', 'svg [data-kind="nic"][data-name="eth0"]')
    page.wait_for_selector("#hn-status.invalid")
    assert "NIC_HAS_UNTAGGED_NETWORK" in page.inner_text("#hn-status")
    assert page.locator("#hn-changes").count() == 0

    # commit while the host has uncommitted changes
    page.wait_for_selector("#hn-commit")
    page.click("#hn-commit")
    page.wait_for_selector('#hn-job [data-status="succeeded"]')
    page.wait_for_selector("#hn-commit", state="detached")
    assert api.get(f"/hosts/{host['id']}").json()["config_dirty"] is False

    # unplug and plug a running VM's vNIC
    vm = api.post("/vms", json={"name": "web-vm1"}).json()
    api.post(f"/vms/{vm['id']}/nics", json={"name": "nic1", "network": "blue"})
    assert api.post(f"/vms/{vm['id']}/start", json={"host": host["id"]}).status_code == 200
    page.goto(f"/vms/{vm['id']}")
    toggle = '#vnics-table tr[data-vnic="nic1"] [data-toggle="plugged"]'
    page.wait_for_selector(toggle)
    assert page.inner_text(toggle) == "plugged"
    page.click(toggle)
    page.wait_for_selector(f'{toggle}[aria-pressed="false"]')
    assert api.get(f"/vms/{vm['id']}/nics/nic1").json()["plugged"] is False
    page.click(toggle)
    page.wait_for_selector(f'{toggle}[aria-pressed="true"]')
    assert api.get(f"/vms/{vm['id']}/nics/nic1").json()["plugged"] is True
    shot(page, "vm-vnics")

    # the host page now warns when a network used by the running VM is touched
    page.goto(f"/hosts/{host['id']}")
    page.wait_for_selector("#hostnet-svg")
    _drag(page, 'svg [data-kind="net"][data-name="blue"]', 'svg [data-kind="nic"][data-name="eth0"]')
    page.wait_for_selector('svg [data-kind="net"][data-name="blue"][data-iface="eth0"]')
    _staged(page)
    assert "used by running VMs (web-vm1)" in page.inner_text("#hn-changes")


def test_keyboard_menu_equivalent(page: Any, api: httpx.Client, web: Server) -> None:
    host = _host(api, "web-h2")
    login(page)
    page.goto(f"/hosts/{host['id']}")
    page.wait_for_selector("#hostnet-svg")
    page.focus('svg [data-kind="nic"][data-name="eth2"]')
    page.keyboard.press("Enter")
    page.wait_for_selector('#hn-menu [data-act="bond"]')
    page.select_option('#hn-menu [data-m="peer"]', "eth3")
    page.select_option('#hn-menu [data-m="mode"]', "active-backup")
    page.focus('#hn-menu [data-act="bond"]')
    page.keyboard.press("Enter")
    _staged(page)
    assert "add bond bond0 on eth2, eth3 (active-backup)" in page.inner_text("#hn-diff")
    # the management network moves by menu too, and the console warns before it is applied
    page.focus('svg [data-kind="net"][data-name="mgmt"]')
    page.keyboard.press("Enter")
    page.select_option('#hn-menu [data-m="iface"]', "bond0")
    page.click('#hn-menu [data-act="attach"]')
    page.wait_for_selector('svg [data-kind="net"][data-name="mgmt"][data-iface="bond0"]')
    _staged(page)
    assert "management network mgmt" in page.inner_text("#hn-changes")
    page.click("#hn-apply")
    assert "Tick" in page.inner_text("#hn-status")  # needs the explicit acknowledgement
    page.click("#hn-reset")
    page.wait_for_selector("#hn-changes", state="detached")


def test_viewer_sees_no_edit_controls(page: Any, api: httpx.Client, web: Server) -> None:
    host = _host(api, "web-h3")
    api.post("/users", json={"username": "watcher", "password": "watch-pass-1", "role": "viewer"})
    login(page, "watcher", "watch-pass-1")
    page.goto("/networks")
    page.wait_for_selector("#networks-table")
    assert page.locator("#network-form").count() == 0
    page.goto(f"/hosts/{host['id']}")
    page.wait_for_selector("#hostnet-svg")
    assert page.locator("#hn-menu").count() == 0
    assert page.locator("svg [data-drag]").count() == 0
    assert page.locator("#hn-refresh").count() == 0
    page.click("#logout")
    page.wait_for_url("**/login")


def test_datacenter_map_shows_missing_required(page: Any, api: httpx.Client, web: Server) -> None:
    api.post("/networks", json={"name": "needed", "vlan": 77})
    api.post("/clusters/Default/networks", json={"network": "needed", "required": True})
    login(page)
    page.goto("/map")
    page.wait_for_selector("#dc-map")
    assert page.locator("#dc-map td.missing-required").count() >= 1
    shot(page, "datacenter-map")


def _attached(api: httpx.Client, name: str, network: str, vlan: int, nic: str) -> dict[str, Any]:
    """A simulated host with `network` (VLAN `vlan`, in the Default cluster) on `nic`, committed."""
    host = _host(api, name)
    assert api.post("/networks", json={"name": network, "vlan": vlan}).status_code == 201
    assert api.post("/clusters/Default/networks", json={"network": network, "required": False}).status_code == 201
    job = api.post(f"/hosts/{host['id']}/setupnetworks?wait=true", json={
        "modified_network_attachments": [{"network": network, "nic": nic}], "commit_on_success": True}).json()
    assert job["status"] == "succeeded", job
    return host


def _attachment(api: httpx.Client, host: dict[str, Any], network: str) -> dict[str, Any]:
    atts = api.get(f"/hosts/{host['id']}/networkattachments").json()["results"]
    return next(a for a in atts if a["network_name"] == network)


def _ip_dialog(page: Any, network: str) -> None:
    """Open the IP dialog of an attachment through its menu (keyboard: focus, Enter)."""
    page.focus(f'svg [data-kind="net"][data-name="{network}"]')
    page.keyboard.press("Enter")
    page.click('#hn-menu [data-act="ip"]')
    page.wait_for_selector("#hn-ip-form")


def _submit_ip(page: Any) -> None:
    """Submit the IP dialog and wait for the dry run's answer (the status changes to staged or refused)."""
    before = page.inner_text("#hn-status")
    page.click('#hn-ip-form button[type=submit]')
    page.wait_for_function("""before => {
        const s = document.getElementById("hn-status");
        return s && s.innerText !== before && (s.classList.contains("staged") || s.classList.contains("invalid"));
    }""", arg=before)


def _stage_ip(page: Any, network: str, proto: str, **fields: str) -> None:
    _ip_dialog(page, network)
    page.select_option('#hn-ip-form [name="ipv4.boot_protocol"]', proto)
    for key, value in fields.items():
        page.fill(f'#hn-ip-form [name="ipv4.{key}"]', value)
    _submit_ip(page)


def test_edit_ip_settings_of_an_attachment(page: Any, api: httpx.Client, web: Server) -> None:
    host = _attached(api, "web-h4", "green", 20, "eth1")
    login(page)
    page.goto(f"/hosts/{host['id']}")
    page.wait_for_selector('svg [data-kind="net"][data-name="green"][data-iface="eth1"]')

    # an invalid address is refused by the API's dry run: its reason shows at the field, nothing is staged
    _stage_ip(page, "green", "static", address="198.51.100.300", netmask="255.255.255.0")
    page.wait_for_selector('#hn-ip-form [data-path="ipv4.address"].invalid')
    error = page.inner_text('#hn-ip-form [data-path="ipv4.address"] .field-error')
    assert "IP_CONFIGURATION_INVALID" in error and "invalid IPv4 address or netmask" in error, error
    assert "IP_CONFIGURATION_INVALID" in page.inner_text("#hn-status")
    assert page.locator("#hn-changes").count() == 0
    # so is an invalid gateway, at the gateway field
    page.fill('#hn-ip-form [name="ipv4.address"]', "198.51.100.7")
    page.fill('#hn-ip-form [name="ipv4.gateway"]', "not-an-ip")
    _submit_ip(page)
    page.wait_for_selector('#hn-ip-form [data-path="ipv4.gateway"].invalid')
    assert "invalid IPv4 gateway" in page.inner_text('#hn-ip-form [data-path="ipv4.gateway"] .field-error')
    # the address is fine now: its field no longer shows the earlier error
    assert page.locator('#hn-ip-form [data-path="ipv4.address"].invalid').count() == 0
    assert page.inner_text('#hn-ip-form [data-path="ipv4.address"] .field-error') == ""
    assert page.locator("#hn-changes").count() == 0

    # a valid static address: staged (validated), shown in the picture and the diff, then applied
    page.fill('#hn-ip-form [name="ipv4.gateway"]', "198.51.100.1")
    _submit_ip(page)
    _staged(page)
    assert "modify" in page.inner_text("#hn-diff") and "green" in page.inner_text("#hn-diff")
    staged = 'svg [data-kind="net"][data-name="green"].staged-changed'
    assert "198.51.100.7/24" in page.text_content(staged)
    _apply(page)
    page.wait_for_selector('svg [data-kind="net"][data-name="green"]:not(.staged)')
    assert "198.51.100.7/24" in page.text_content('svg [data-kind="net"][data-name="green"]')
    ipv4 = _attachment(api, host, "green")["ip_configuration"]["ipv4"]
    assert ipv4 == {"boot_protocol": "static", "address": "198.51.100.7", "netmask": "255.255.255.0",
                    "gateway": "198.51.100.1"}, ipv4

    # the dialog opens with the current settings; switch to DHCP
    _ip_dialog(page, "green")
    assert page.input_value('#hn-ip-form [name="ipv4.boot_protocol"]') == "static"
    assert page.input_value('#hn-ip-form [name="ipv4.address"]') == "198.51.100.7"
    page.select_option('#hn-ip-form [name="ipv4.boot_protocol"]', "dhcp")
    assert page.is_disabled('#hn-ip-form [name="ipv4.address"]')  # address fields belong to static only
    _submit_ip(page)
    _staged(page)
    assert "DHCP" in page.text_content('svg [data-kind="net"][data-name="green"].staged-changed')
    _apply(page)
    page.wait_for_selector('svg [data-kind="net"][data-name="green"]:not(.staged)')
    assert "DHCP" in page.text_content('svg [data-kind="net"][data-name="green"]')
    assert _attachment(api, host, "green")["ip_configuration"]["ipv4"] == {"boot_protocol": "dhcp"}

    # and to no IPv4 at all
    _stage_ip(page, "green", "none")
    _staged(page)
    _apply(page)
    page.wait_for_selector('svg [data-kind="net"][data-name="green"]:not(.staged)')
    assert "DHCP" not in page.text_content('svg [data-kind="net"][data-name="green"]')
    assert _attachment(api, host, "green")["ip_configuration"]["ipv4"]["boot_protocol"] == "none"
    assert _attachment(api, host, "green")["in_sync"] is True


def _drift(api: httpx.Client, host: dict[str, Any], drift: dict[str, Any], refresh: bool = True) -> None:
    """Make the simulated host report something else than it was told (or stop), then refresh what it reports."""
    assert api.patch(f"/hosts/{host['id']}", json={"simulated": {"drift": drift}}).status_code == 200
    if refresh:
        job = api.post(f"/hosts/{host['id']}/refresh?wait=true").json()
        assert job["status"] == "succeeded", job


def _ui_job(page: Any, button: str) -> None:
    """Click a header button that starts a job and wait until that job (not an earlier one) succeeded."""
    earlier = page.get_attribute("#hn-job [data-job]", "data-job") if page.locator("#hn-job [data-job]").count() \
        else None
    page.click(button)
    page.wait_for_function("""earlier => {
        const job = document.querySelector("#hn-job [data-job]");
        return job && job.dataset.job !== earlier && job.dataset.status === "succeeded";
    }""", arg=earlier)


def test_sync_an_out_of_sync_attachment(page: Any, api: httpx.Client, web: Server) -> None:
    host = _attached(api, "web-h5", "amber", 30, "eth1")
    host_name = api.get("/networks/amber").json()["host_name"]
    _drift(api, host, {host_name: {"mtu": 1400}})
    assert _attachment(api, host, "amber")["in_sync"] is False
    login(page)
    page.goto(f"/hosts/{host['id']}")

    # the picture marks it, and the table shows expected vs reported
    net = 'svg [data-kind="net"][data-name="amber"]'
    page.wait_for_selector(f"{net}.unsync")
    assert "out of sync" in (page.get_attribute(net, "aria-label") or "")
    page.wait_for_selector("#hn-unsync")
    page.wait_for_selector("#hn-syncall")  # the header offers "Sync all networks" too
    table = page.inner_text("#hn-unsync")
    assert "amber" in table and "mtu" in table and "1400" in table and "1500" in table, table
    assert page.locator(f"{net}.unsync").count() == 1
    assert page.locator('svg [data-kind="net"][data-name="mgmt"].unsync').count() == 0

    # the host behaves again (the engine does not know yet); sync pushes the definition to it
    _drift(api, host, {}, refresh=False)
    # by the keyboard menu of the network ...
    page.focus(net)
    page.keyboard.press("Enter")
    page.click('#hn-menu [data-act="sync"]')
    _staged(page)
    page.wait_for_selector(f"{net}:not(.unsync)")  # staged for sync: no longer marked
    assert "modify network amber: mtu: 1400 → 1500" in page.inner_text("#hn-diff")
    assert page.is_disabled('#hn-unsync [data-sync="amber"]')
    page.click("#hn-undo")
    page.wait_for_selector(f"{net}.unsync")
    page.wait_for_selector("#hn-changes", state="detached")
    # ... or by the button in the out-of-sync table
    page.click('#hn-unsync [data-sync="amber"]')
    _staged(page)
    page.wait_for_selector(f"{net}:not(.unsync)")
    assert page.is_disabled('#hn-unsync [data-sync="amber"]')
    assert "Sync staged" in page.inner_text('#hn-unsync [data-sync="amber"]')
    _apply(page)

    # after the sync and a refresh from the host, it is in sync and nothing is marked any more
    _ui_job(page, "#hn-refresh")
    page.wait_for_selector(f"{net}:not(.unsync):not(.staged)")
    page.wait_for_selector("#hn-syncall", state="detached")
    page.wait_for_selector("#hn-unsync", state="detached")
    att = _attachment(api, host, "amber")
    assert att["in_sync"] is True, att
    assert all(r["in_sync"] for r in att["reported_configurations"]), att
    assert api.get(f"/hosts/{host['id']}").json()["out_of_sync"] is False
    assert "out of sync" not in (page.get_attribute(net, "aria-label") or "")

    # drift again, seen by "Refresh from host"; "Sync all networks" (confirmed) converges too
    _drift(api, host, {host_name: {"mtu": 1400}}, refresh=False)
    _ui_job(page, "#hn-refresh")
    page.wait_for_selector(f"{net}.unsync")
    _drift(api, host, {}, refresh=False)
    page.once("dialog", lambda dialog: dialog.accept())
    _ui_job(page, "#hn-syncall")
    _ui_job(page, "#hn-refresh")
    page.wait_for_selector(f"{net}:not(.unsync)")
    page.wait_for_selector("#hn-unsync", state="detached")
    assert _attachment(api, host, "amber")["in_sync"] is True


def test_job_that_ends_before_its_first_poll_still_redraws(page: Any, api: httpx.Client, web: Server) -> None:
    """A fast host can finish the setup job before the console shows it: the picture must redraw anyway."""
    host = _host(api, "web-h6")
    api.post("/networks", json={"name": "teal", "vlan": 40})
    api.post("/clusters/Default/networks", json={"network": "teal", "required": False})

    def finished_before_shown(route: Any) -> None:
        real = route.fetch()  # the real apply: it starts the job
        job_id = real.text().split('data-job="', 1)[1].split('"', 1)[0]
        assert api.get(f"/jobs/{job_id}?wait=true").json()["status"] == "succeeded"
        # answer as the console does for a job that has already ended
        ended = route.fetch(url=f"{web.url}/ui/jobs/{job_id}/progress", method="GET")
        route.fulfill(status=200, content_type="text/html", body=ended.text())

    login(page)
    page.route("**/ui/hosts/*/apply", finished_before_shown)
    page.goto(f"/hosts/{host['id']}")
    page.wait_for_selector("#hostnet-svg")
    _drag(page, '#hn-unassigned [data-name="teal"]', 'svg [data-kind="nic"][data-name="eth2"]')
    _staged(page)
    _apply(page)
    page.wait_for_selector('svg [data-kind="net"][data-name="teal"][data-iface="eth2"]:not(.staged)')
    page.wait_for_selector("#hn-changes", state="detached")
