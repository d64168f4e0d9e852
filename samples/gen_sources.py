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

Written for grantline, not copied: the shapes follow AWS's and Kubernetes'
documented record formats, keys and ids are the documentation's example values
or made up, the account is 111122223333 and every address is from the
documentation ranges. Deterministic: running it twice gives the same bytes.

    python3 samples/gen_sources.py          # rewrite the two files
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


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    files = {"cloudtrail.ndjson": cloudtrail(), "k8s-audit.ndjson": k8s_audit()}
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
