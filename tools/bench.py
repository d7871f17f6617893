#!/usr/bin/env python3
"""Benchmark of the provider itself (`make bench`).

For each size N, times terraform plan (empty state), apply, re-plan (refresh, no changes) and
destroy of N izuma_application resources in local mode, against the same steps for N
terraform_data resources (Terraform's built-in provider: the floor, nothing but Terraform's own
work). The two kinds alternate, several rounds, and the medians and their ratio are printed.

The service limits hold: a commercial account holds 25 applications, so the N applications are
spread across ceil(N/25) accounts, each a provider alias with its own local database.
Known: tf-provider 0.2.2 does not set TCP_NODELAY on its gRPC listener, so each request waits about
40 ms (shared/notes-tf-provider.md); the figures include it, nothing works around it.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

APPS_PER_ACCOUNT = 25
STEPS = [
    ("plan", ["plan", "-input=false", "-lock=false", "-no-color"]),
    ("apply", ["apply", "-auto-approve", "-input=false", "-lock=false", "-no-color"]),
    ("re-plan", ["plan", "-detailed-exitcode", "-input=false", "-lock=false", "-no-color"]),
    ("destroy", ["destroy", "-auto-approve", "-input=false", "-lock=false", "-no-color"]),
]

PROVIDER_HEADER = """terraform {
  required_providers {
    izuma = { source = "izuma/izuma" }
  }
}
"""


def izuma_config(n):
    parts = [PROVIDER_HEADER]
    accounts = (n + APPS_PER_ACCOUNT - 1) // APPS_PER_ACCOUNT
    for account in range(accounts):
        count = min(APPS_PER_ACCOUNT, n - account * APPS_PER_ACCOUNT)
        parts.append(f"""
provider "izuma" {{
  alias = "a{account}"
  local {{
    path         = "account-{account}.db"
    account_type = "commercial"
  }}
}}

resource "izuma_application" "a{account}" {{
  provider    = izuma.a{account}
  count       = {count}
  name        = "bench-{account}-${{count.index}}"
  description = "benchmark"
}}
""")
    return "".join(parts)


def floor_config(n):
    return f"""resource "terraform_data" "floor" {{
  count = {n}
  input = "bench-${{count.index}}"
}}
"""


def run_round(terraform, env, config, workdir):
    """One fresh plan/apply/re-plan/destroy cycle; returns seconds per step."""
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    with open(os.path.join(workdir, "main.tf"), "w") as f:
        f.write(config)
    timings = {}
    for name, args in STEPS:
        started = time.monotonic()
        result = subprocess.run([terraform, *args], cwd=workdir, env=env, capture_output=True, text=True)
        timings[name] = time.monotonic() - started
        if result.returncode != 0:
            sys.exit(f"bench: terraform {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--terraform", default="terraform")
    parser.add_argument("--plugin-dir", required=True, help="directory holding terraform-provider-izuma")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="izuma-bench-")
    cli_config = os.path.join(scratch, "dev.tfrc")
    with open(cli_config, "w") as f:
        f.write('provider_installation {\n  dev_overrides {\n    "izuma/izuma" = "%s"\n  }\n  direct {}\n}\n'
                % os.path.abspath(args.plugin_dir))
    env = dict(os.environ, CHECKPOINT_DISABLE="1", TF_CLI_CONFIG_FILE=cli_config, TF_IN_AUTOMATION="1")
    for name in ("TF_LOG", "TF_LOG_PROVIDER", "IZUMA_API_KEY", "IZUMA_LOCAL_PATH"):
        env.pop(name, None)

    print(f"{'N':>5}  {'step':<8} {'izuma s':>8} {'floor s':>8} {'ratio':>6}   (median of {args.rounds}, alternating)")
    try:
        for n in args.sizes:
            samples = {kind: {step: [] for step, _ in STEPS} for kind in ("izuma", "floor")}
            for _ in range(args.rounds):
                for kind, config in (("izuma", izuma_config(n)), ("floor", floor_config(n))):
                    timings = run_round(args.terraform, env, config, os.path.join(scratch, kind))
                    for step, seconds in timings.items():
                        samples[kind][step].append(seconds)
            for step, _ in STEPS:
                izuma = statistics.median(samples["izuma"][step])
                floor = statistics.median(samples["floor"][step])
                print(f"{n:>5}  {step:<8} {izuma:>8.2f} {floor:>8.2f} {izuma / floor:>6.2f}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
