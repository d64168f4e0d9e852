#!/usr/bin/env python3
"""Generate the sample records of other audit formats (source mappings).

Writes, next to this script:

  cloudtrail.ndjson   13 AWS CloudTrail records, one per line: a CI bot's access
                      key, the role session it opens for build 1841 and what the
                      session does, an EC2 instance profile's session used from
                      outside, the key deleted nine days later
  k8s-audit.ndjson    12 Kubernetes audit events (audit.k8s.io/v1): a service
                      account token minted (its id, the JTI, on the requests
                      made with it), its deployment patched, an exec into
                      a pod, secrets refused, a ClusterRoleBinding to
                      cluster-admin, a Secret logged with its value, one
                      RequestReceived stage to refuse
  vault-audit.ndjson  24 HashiCorp Vault audit entries (a request and a
                      response entry per request): the same service account
                      logs in to Vault, reads a secret, gets database
                      credentials, is refused the payments secret three
                      times; an operator mints a token without a TTL for a
                      legacy exporter, which writes a GitHub token into a
                      note logged in clear; the deployer's token and lease
                      revoked; a failed AppRole login

Written for grantline, not copied: the shapes follow AWS's, Kubernetes' and Vault's
documented record formats, keys and ids are the documentation's example values
or made up, the account is 111122223333 and every address is from the
documentation ranges. Deterministic: running it twice gives the same bytes.

    python3 samples/gen_sources.py          # rewrite the three files
    python3 samples/gen_sources.py --check  # exit 1 if the files on disk differ
"""

import json
import os
import sys

ACCT = "111122223333"


def ui_user(name, key):
    return {"type": "IAMUser", "principalId": "AIDA" + name.upper().replace("-", "")[:12].ljust(12, "X") + "EXAMP",
            "arn": f"arn:aws:iam::{ACCT}:user/{name}", "accountId": ACCT, "accessKeyId": key, "userName": name}


def ui_role(role, session, key):
    rid = "AROAEXAMPLEROLEID" + role[:3].upper()
    return {"type": "AssumedRole", "principalId": f"{rid}:{session}",
            "arn": f"arn:aws:sts::{ACCT}:assumed-role/{role}/{session}", "accountId": ACCT, "accessKeyId": key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": rid,
                                                 "arn": f"arn:aws:iam::{ACCT}:role/{role}", "accountId": ACCT,
                                                 "userName": role},
                               "attributes": {"creationDate": "2026-03-02T09:05:11Z", "mfaAuthenticated": "false"}}}


def cloudtrail():
    recs = []

    def rec(t, src, name, ui, req=None, resp=None, err=None, ip="203.0.113.10", ua="aws-cli/2.15.0",
            resources=None, ro=False):
        n = len(recs) + 1
        r = {"eventVersion": "1.09", "userIdentity": ui, "eventTime": t, "eventSource": src, "eventName": name,
             "awsRegion": "eu-west-1", "sourceIPAddress": ip, "userAgent": ua, "requestParameters": req,
             "responseElements": resp, "requestID": f"5a1c0de0-0000-4000-8000-{n:012d}",
             "eventID": f"0e7c1f3a-5b2d-4c8e-9a61-{n:012d}", "readOnly": ro, "eventType": "AwsApiCall",
             "managementEvent": True, "recipientAccountId": ACCT, "eventCategory": "Management"}
        if err:
            r["errorCode"], r["errorMessage"] = err
        if resources:
            r["resources"] = resources
        recs.append(r)

    admin = ui_user("admin", "AKIAIOSFODNN7EXAMPLE")
    rec("2026-03-02T09:00:00Z", "iam.amazonaws.com", "CreateAccessKey", admin, {"userName": "ci-bot"},
        {"accessKey": {"accessKeyId": "AKIAI44QH8DHBEXAMPLE", "status": "Active", "userName": "ci-bot",
                       "createDate": "Mar 2, 2026 9:00:00 AM"}})
    bot = ui_user("ci-bot", "AKIAI44QH8DHBEXAMPLE")
    rec("2026-03-02T09:05:11Z", "sts.amazonaws.com", "AssumeRole", bot,
        {"roleArn": f"arn:aws:iam::{ACCT}:role/ci-deployer", "roleSessionName": "build-1841", "durationSeconds": 3600},
        {"credentials": {"accessKeyId": "ASIAQNZGKIQY56JQ7WML",
                         "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENdGhpcyBpcyBub3QgYSByZWFsIHRva2Vu/x8xAMPLE+0123456789abcdefABCDEF==",
                         "expiration": "Mar 2, 2026, 10:05:11 AM"},
         "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLEROLEIDCI-:build-1841",
                             "arn": f"arn:aws:sts::{ACCT}:assumed-role/ci-deployer/build-1841"}})
    dep = ui_role("ci-deployer", "build-1841", "ASIAQNZGKIQY56JQ7WML")
    rec("2026-03-02T09:06:02Z", "s3.amazonaws.com", "PutObject", dep,
        {"bucketName": "artifacts-example", "key": "builds/1841/app.tar.gz"}, None,
        resources=[{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::artifacts-example/builds/1841/app.tar.gz"}])
    rec("2026-03-02T09:06:40Z", "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", dep,
        {"functionName": f"arn:aws:lambda:eu-west-1:{ACCT}:function:checkout", "publish": True},
        {"functionName": "checkout", "version": "17"})
    for k in range(3):
        rec(f"2026-03-02T09:07:0{k}Z", "secretsmanager.amazonaws.com", "GetSecretValue", dep,
            {"secretId": "prod/payments/db"}, None,
            err=("AccessDeniedException",
                 f"User: arn:aws:sts::{ACCT}:assumed-role/ci-deployer/build-1841 is not authorized to perform: "
                 "secretsmanager:GetSecretValue on resource: prod/payments/db"))
    # a plain String parameter holding a Slack token: CloudTrail logs its value
    rec("2026-03-02T09:08:15Z", "ssm.amazonaws.com", "PutParameter", dep,
        {"name": "/ci/notify/slack", "type": "String", "overwrite": True,
         "value": "xoxb-2024123456-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"},
        {"version": 4, "tier": "Standard"})
    # the session's key used again, from elsewhere, after it expired
    rec("2026-03-02T10:31:09Z", "sts.amazonaws.com", "GetCallerIdentity", dep, None, None, ip="198.51.100.77",
        ua="python-requests/2.31", ro=True)
    # an EC2 instance profile: the EC2 service mints the web role's credentials
    svc = {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
    rec("2026-03-02T11:00:00Z", "sts.amazonaws.com", "AssumeRole", svc,
        {"roleArn": f"arn:aws:iam::{ACCT}:role/web-app", "roleSessionName": "i-0abc123def4567890"},
        {"credentials": {"accessKeyId": "ASIAWEBAPPEXAMPLE777",
                         "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLEINSTANCEPROFILEtokenTm90IGEgcmVhbCB0b2tlbg==/y9yEXAMPLE+9876543210",
                         "expiration": "Mar 2, 2026, 5:00:00 PM"},
         "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLEROLEIDWEB:i-0abc123def4567890",
                             "arn": f"arn:aws:sts::{ACCT}:assumed-role/web-app/i-0abc123def4567890"}},
        ip="ec2.amazonaws.com", ua="ec2.amazonaws.com")
    web = ui_role("web-app", "i-0abc123def4567890", "ASIAWEBAPPEXAMPLE777")
    rec("2026-03-02T11:20:00Z", "s3.amazonaws.com", "ListBuckets", web, {"Host": "s3.eu-west-1.amazonaws.com"}, None,
        ip="192.0.2.99", ua="aws-cli/1.18.136", ro=True)
    rec("2026-03-02T11:20:30Z", "s3.amazonaws.com", "GetObject", web,
        {"bucketName": "customer-exports-example", "key": "2026/02/all.csv"}, None, ip="192.0.2.99",
        ua="aws-cli/1.18.136", ro=True,
        resources=[{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::customer-exports-example/2026/02/all.csv"}])
    rec("2026-03-11T08:00:00Z", "iam.amazonaws.com", "DeleteAccessKey", admin,
        {"userName": "ci-bot", "accessKeyId": "AKIAI44QH8DHBEXAMPLE"}, None)
    return recs


def k8s_audit():
    out = []
    sa = "system:serviceaccount:ci:deployer"

    jti = "JTI=5a7c3f0e-9d41-4e8b-b2c6-1f0a9e3d7c55"  # the minted token's id (Kubernetes 1.29+)

    def ev(aid, stage, t, verb, user, uri, obj=None, code=200, decision="allow", reason="", imp=None, resp=None,
           req=None, level="Metadata", issued=None):
        groups = (["system:serviceaccounts", "system:authenticated"] if user.startswith("system:serviceaccount")
                  else ["system:masters", "system:authenticated"])
        u = {"username": user, "groups": groups}
        if user == sa:  # requests made with the minted token carry its id
            u["extra"] = {"authentication.kubernetes.io/credential-id": [jti]}
        e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": aid, "stage": stage,
             "requestURI": uri, "verb": verb, "user": u,
             "sourceIPs": ["10.0.4.17"], "userAgent": "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"}
        if imp:
            e["impersonatedUser"] = {"username": imp}
        if obj:
            e["objectRef"] = obj
        if stage != "RequestReceived":
            e["responseStatus"] = {"metadata": {}, "code": code}
            e["annotations"] = {"authorization.k8s.io/decision": decision, "authorization.k8s.io/reason": reason}
            if issued:
                e["annotations"]["authentication.kubernetes.io/issued-credential-id"] = issued
        if resp:
            e["responseObject"] = resp
        if req:
            e["requestObject"] = req
        e["requestReceivedTimestamp"] = t.replace("Z", ".100000Z")
        e["stageTimestamp"] = t.replace("Z", ".180000Z")
        out.append(e)

    ev("7d1e0c3a-0001-4a5b-9c8d-000000000001", "ResponseComplete", "2026-03-02T09:10:00Z", "create", "admin",
       "/api/v1/namespaces/ci/serviceaccounts/deployer/token",
       {"resource": "serviceaccounts", "namespace": "ci", "name": "deployer", "subresource": "token", "apiVersion": "v1"},
       201, reason='RBAC: allowed by ClusterRoleBinding "cluster-admins"',
       resp={"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
             "status": {"expirationTimestamp": "2026-03-02T10:10:00Z"}}, issued=jti)
    ev("7d1e0c3a-0002-4a5b-9c8d-000000000002", "ResponseComplete", "2026-03-02T09:12:00Z", "patch", sa,
       "/apis/apps/v1/namespaces/prod/deployments/checkout",
       {"resource": "deployments", "namespace": "prod", "name": "checkout", "apiGroup": "apps", "apiVersion": "v1"},
       200, reason='RBAC: allowed by RoleBinding "deployer/prod"')
    execref = {"resource": "pods", "namespace": "prod", "name": "checkout-7f9c", "subresource": "exec", "apiVersion": "v1"}
    execuri = "/api/v1/namespaces/prod/pods/checkout-7f9c/exec?command=sh&stdin=true&tty=true"
    ev("7d1e0c3a-0003-4a5b-9c8d-000000000003", "RequestReceived", "2026-03-02T09:13:00Z", "create", sa, execuri, execref)
    ev("7d1e0c3a-0003-4a5b-9c8d-000000000003", "ResponseStarted", "2026-03-02T09:13:00Z", "create", sa, execuri, execref,
       101, reason='RBAC: allowed by RoleBinding "deployer/prod"')
    for j in range(3):
        obj = {"resource": "secrets", "namespace": "kube-system", "apiVersion": "v1"}
        uri = "/api/v1/namespaces/kube-system/secrets"
        if j == 2:
            obj["name"] = "bootstrap-token-abcdef"
            uri += "/bootstrap-token-abcdef"
        ev(f"7d1e0c3a-000{4 + j}-4a5b-9c8d-00000000000{4 + j}", "ResponseComplete", f"2026-03-02T09:14:0{j}Z",
           "list" if j < 2 else "get", sa, uri, obj, 403, decision="forbid")
    ev("7d1e0c3a-0007-4a5b-9c8d-000000000007", "ResponseComplete", "2026-03-02T09:15:00Z", "create", "admin",
       "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
       {"resource": "clusterrolebindings", "name": "deployer-admin", "apiGroup": "rbac.authorization.k8s.io",
        "apiVersion": "v1"}, 201, reason='RBAC: allowed by ClusterRoleBinding "cluster-admins"',
       req={"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
            "metadata": {"name": "deployer-admin"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}]}, level="Request")
    # a ConfigMap carrying a database password in clear
    ev("7d1e0c3a-0008-4a5b-9c8d-000000000008", "ResponseComplete", "2026-03-02T09:16:00Z", "create", "admin",
       "/api/v1/namespaces/prod/configmaps",
       {"resource": "configmaps", "namespace": "prod", "name": "checkout-env", "apiVersion": "v1"}, 201,
       req={"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "checkout-env"},
            "data": {"app.properties": "db.host=payments-db\ndb.password=Tr0ub4dor-and-3-horses\n"}}, level="Request")
    # a Secret created under an audit policy that logs Secrets at Request
    # level: its value is in the audit log (stored as a marker, an exposure)
    ev("7d1e0c3a-0011-4a5b-9c8d-000000000011", "ResponseComplete", "2026-03-02T09:16:30Z", "create", "admin",
       "/api/v1/namespaces/prod/secrets",
       {"resource": "secrets", "namespace": "prod", "name": "payments-db", "apiVersion": "v1"}, 201,
       req={"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "payments-db"}, "type": "Opaque",
            "data": {"db-url": "cG9zdGdyZXM6Ly9wYXltZW50czpDb3JyZWN0LUhvcnNlLTQyQHBheW1lbnRzLWRiOjU0MzIvcGF5bWVudHM="}},
       level="Request")
    ev("7d1e0c3a-0009-4a5b-9c8d-000000000009", "ResponseComplete", "2026-03-02T09:17:00Z", "get", "system:anonymous",
       "/healthz", None, 200)
    ev("7d1e0c3a-0010-4a5b-9c8d-000000000010", "ResponseComplete", "2026-03-02T09:18:00Z", "delete", "admin",
       "/api/v1/namespaces/prod/pods/checkout-7f9c",
       {"resource": "pods", "namespace": "prod", "name": "checkout-7f9c", "apiVersion": "v1"}, 200, imp=sa,
       reason='RBAC: allowed by RoleBinding "deployer/prod"')
    return out


def vault_audit():
    """Vault audit device entries (format json): a request entry and a response
    entry per request, HMAC'd as Vault writes them by default (fake salt)."""
    import hashlib
    out = []

    def h(v):
        return "hmac-sha256:" + hashlib.sha256(("sample-audit-salt:" + v).encode()).hexdigest()

    sa_meta = {"role": "ci-deployer", "service_account_name": "deployer", "service_account_namespace": "ci",
               "service_account_secret_name": "", "service_account_uid": "3f0c6a52-1b7e-4d2a-9a61-0c5e8d7b4a19"}
    dep = {"acc": "acc-deployer-4f1b", "tok": "hvs.deployer-token", "name": "kubernetes-ci-deployer",
           "entity": "5b2f0d1e-7c3a-4e9b-8d6f-2a1c0e9b7d35", "meta": sa_meta, "pol": ["ci-deployer", "default"],
           "ttl": 3600, "issued": "2026-03-02T09:11:00Z"}
    adm = {"acc": "acc-ops-admin-77e2", "tok": "hvs.ops-admin-token", "name": "userpass-ops-admin",
           "entity": "0c9d8e7f-6a5b-4c3d-8e1f-0a9b8c7d6e5f", "meta": {"username": "ops-admin"},
           "pol": ["default", "token-admin"], "ttl": 28800, "issued": "2026-03-02T09:20:00Z"}
    exp = {"acc": "acc-legacy-exporter-19c0", "tok": "hvs.legacy-exporter-token", "name": "token-legacy-exporter",
           "entity": "", "meta": {}, "pol": ["default", "exporter"], "ttl": 0, "issued": "2026-03-02T09:21:00Z"}

    def new_token(who):
        """The auth object of a token as Vault logs it."""
        a = {"accessor": h(who["acc"]), "client_token": h(who["tok"]), "display_name": who["name"],
             "policies": who["pol"], "token_policies": who["pol"], "token_type": "service"}
        if who["entity"]:
            a["entity_id"] = who["entity"]
        if who["meta"]:
            a["metadata"] = who["meta"]
        if who["ttl"]:
            a["token_ttl"] = who["ttl"]
        return a

    def auth(who, allowed=True):
        """The caller's auth object: its token, the policy decision, its issue time."""
        a = new_token(who)
        a["policy_results"] = {"allowed": allowed}
        if allowed:
            a["policy_results"]["granting_policies"] = [{"type": ""}, {"name": who["pol"][0], "namespace_id": "root",
                                                                       "type": "acl"}]
        a["token_issue_time"] = who["issued"]
        return a

    def pair(rid, t, who, op, path, mount, data=None, resp=None, error=None, login=None, addr="10.0.4.17"):
        """The request entry at t (nanoseconds .118934512), the response 4 ms later."""
        req = {"id": rid, "operation": op, "mount_type": mount, "mount_point": path.split("/")[0] + "/",
               "namespace": {"id": "root"}, "path": path, "remote_address": addr, "remote_port": 53122}
        if mount in ("kubernetes", "userpass", "approle", "token"):
            req["mount_point"] = "auth/" + path.split("/")[1] + "/"
            req["mount_class"] = "auth"
        else:
            req["mount_class"] = "secret"
        if who:
            req["client_token"] = h(who["tok"] + "/internal")
            req["client_token_accessor"] = h(who["acc"])
            req["client_id"] = who["entity"] or "Zm9yLXRva2Vucy13aXRob3V0LWFuLWVudGl0eQ=="
        if data is not None:
            req["data"] = data
        denied = error is not None and "permission denied" in error
        a = auth(who, not denied) if who else {"policy_results": {"allowed": True}, "token_type": "default"}
        e1 = {"auth": a, "request": req, "time": t.replace("Z", ".118934512Z"), "type": "request"}
        if denied:
            e1["error"] = error
        out.append(e1)
        r = {"mount_type": mount, "mount_point": req["mount_point"], "mount_class": req["mount_class"]}
        if resp:
            r.update(resp)
        if error:
            r["data"] = {"error": h(error)}
        e2 = {"auth": new_token(login) if login else a, "request": req, "response": r,
              "time": t.replace("Z", ".123408771Z"), "type": "response"}
        if login:
            e2["response"]["auth"] = new_token(login)
        if error:
            e2["error"] = error
        out.append(e2)

    rid = lambda n: f"6c1f3e2a-{n:04d}-4b7d-9e8f-1a2b3c4d5e{n:02d}"
    # the CI deployer's service account logs in with its Kubernetes token
    pair(rid(1), "2026-03-02T09:11:00Z", None, "update", "auth/kubernetes/login", "kubernetes",
         data={"jwt": h("eyJhbGciOi...deployer-sa-jwt"), "role": h("ci-deployer")}, login=dep)
    pair(rid(2), "2026-03-02T09:11:05Z", dep, "read", "secret/data/ci/registry", "kv",
         resp={"data": {"data": {"username": h("ci-push"), "password": h("registry-password")},
                        "metadata": {"version": 3}}})
    lease = "database/creds/ci-readonly/Xw3Qm8ZrT0pLkVbN2sYcHd4E"
    pair(rid(3), "2026-03-02T09:12:00Z", dep, "read", "database/creds/ci-readonly", "database",
         resp={"secret": {"lease_id": lease},
               "data": {"username": h("v-kubernetes-ci-readonly-8Hq2"), "password": h("A1a-generated-pass")}})
    for j in range(3):  # three reads of the payments secret, refused
        pair(rid(4 + j), f"2026-03-02T09:14:1{j}Z", dep, "read", "secret/data/prod/payments", "kv",
             error="1 error occurred:\n\t* permission denied\n\n")
    # an operator logs in, and mints a token for a legacy exporter, with no TTL
    pair(rid(7), "2026-03-02T09:20:00Z", None, "update", "auth/userpass/login/ops-admin", "userpass",
         data={"password": h("correct horse")}, login=adm, addr="10.0.9.3")
    pair(rid(8), "2026-03-02T09:21:00Z", adm, "update", "auth/token/create", "token",
         data={"display_name": h("legacy-exporter"), "policies": [h("exporter")]}, login=None,
         resp={"auth": new_token(exp)}, addr="10.0.9.3")
    # the exporter writes a note on a mount tuned with audit_non_hmac_request_keys=note:
    # the GitHub token pasted in it is in the audit log in clear
    pair(rid(9), "2026-03-02T09:25:00Z", exp, "create", "secret/data/exporter/config", "kv",
         data={"data": {"endpoint": h("https://exports.example.com"),
                        "note": "rotate monthly; push with ghp_R2d2C3poBb8Ewok5Yoda0Leia9Luke7Han1Solo"}},
         resp={"data": {"version": 1}}, addr="10.0.7.21")
    # the operator revokes the deployer's token by its accessor, then its database lease
    pair(rid(10), "2026-03-02T09:30:00Z", adm, "update", "auth/token/revoke-accessor", "token",
         data={"accessor": h(dep["acc"])}, addr="10.0.9.3")
    pair(rid(11), "2026-03-02T09:40:00Z", adm, "update", "sys/leases/revoke/" + lease, "system",
         data={"sync": False}, addr="10.0.9.3")
    # an AppRole login with a wrong secret id
    pair(rid(12), "2026-03-02T09:45:00Z", None, "update", "auth/approle/login", "approle",
         data={"role_id": h("billing-sync-role-id"), "secret_id": h("wrong-secret-id")},
         error="invalid role or secret ID", addr="198.51.100.23")
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    files = {"cloudtrail.ndjson": cloudtrail(), "k8s-audit.ndjson": k8s_audit(),
             "vault-audit.ndjson": vault_audit()}
    check = "--check" in sys.argv[1:]
    differ = False
    for name, recs in files.items():
        text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in recs)
        path = os.path.join(here, name)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                print(f"{name}: differs from gen_sources.py's output", file=sys.stderr)
                differ = True
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
