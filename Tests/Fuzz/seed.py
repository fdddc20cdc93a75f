"""Creates one of each of a tenant's resources through the API and prints their ids as JSON.

Usage: seed.py BASE_URL TOKEN. The fuzzer (hooks.py) mixes these ids, which belong to another
tenant than the one it acts for, into path parameters: any success reaching them is a failure.
"""
import json
import sys
import urllib.request

base, token = sys.argv[1], sys.argv[2]


def call(method, path, body=None, content_type="application/json"):
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + token)
    if data is not None:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


intervention = call("POST", "/api/interventions", {"reference": "B-1", "title": "Tenant B visit"})["intervention"]
notified = call("POST", f"/api/interventions/{intervention['id']}/notifications", {"event": "scheduled"})["job"]
prop = call("POST", "/api/properties", {"externalRef": "B-P1", "title": "Tenant B flat", "propertyType": "apartment"})["property"]
agent = call("POST", "/api/agents", {"name": "B agent", "provider": "scripted", "model": "demo"})["agent"]
started = call("POST", f"/api/agents/{agent['id']}/runs", {"prompt": "hello"})
imported = call("POST", "/api/property-imports", "external_ref,title,property_type\nB-I1,Imported,house\n", "text/csv")
schedule = call("POST", "/api/schedules", {
    "name": "B weekly report", "kind": "agent-run", "pattern": "0 8 * * MON", "tz": "Europe/Paris",
    "agentId": agent["id"], "prompt": "hello",
})["schedule"]

print(json.dumps({
    "uuids": [intervention["id"], prop["id"], agent["id"], started["run"]["id"], imported["import"]["id"],
              schedule["id"]],
    "jobs": [
        {"queue": notified["queue"], "id": notified["id"]},
        {"queue": started["job"]["queue"], "id": started["job"]["id"]},
        {"queue": imported["job"]["queue"], "id": imported["job"]["id"]},
    ],
}))
