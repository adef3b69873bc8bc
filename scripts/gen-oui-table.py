#!/usr/bin/env python3
"""Generate src/vendor/oui_table.rs: IEEE MAC prefixes of video-surveillance makers.

camsentry uses the table to recognise cameras and recorders by the vendor part
of their MAC address.  The input is the IEEE registry as packaged by Debian
(`apt-get install ieee-data`), whose CSV files live in /usr/share/ieee-data:

    oui.csv    MA-L, 24-bit prefixes
    mam.csv    MA-M, 28-bit prefixes
    oui36.csv  MA-S, 36-bit prefixes
    iab.csv    IAB, the older 36-bit blocks

A registry file that is missing is skipped and the header says so.

Selection is by organisation name only, with the rules in RULES below.  It is
deliberately conservative: a device wrongly taken for a camera costs an
analyst time, so an organisation is kept only if its registered name clearly
belongs to a maker of video-surveillance equipment.  EXCLUDED documents the
near misses and why they stay out; keep it up to date when adding rules.

Usage:
    scripts/gen-oui-table.py [--registry-dir DIR] [--source-version VER] [-o FILE]

Without -o the table is written to src/vendor/oui_table.rs next to this
script's parent directory.  The output is already in rustfmt's layout.
"""

import argparse
import csv
import os
import re
import subprocess
import sys

DEFAULT_REGISTRY_DIR = "/usr/share/ieee-data"

CAMERA = "Camera"
RECORDER = "Recorder"
BOTH = "CameraAndRecorder"

# (vendor name as shown to users, what the maker sells, organisation-name
# pattern).  Patterns are matched case-insensitively against the whole
# registered name after collapsing runs of whitespace.  Vendors whose pattern
# matches nothing in the registry version at hand are left out of the table,
# so policy files cannot name a vendor that lookups can never return.
RULES = [
    ("ACTi", BOTH, r"ACTi Corporation\b.*"),
    ("Amcrest", BOTH, r"Amcrest\b.*"),
    ("Annke", BOTH, r"(Shenzhen )?Annke\b.*"),
    ("Arecont Vision", CAMERA, r"Arecont Vision\b.*"),
    ("Arlo", CAMERA, r"Arlo Technolog.*"),
    ("Avigilon", BOTH, r"Avigilon\b.*"),
    ("Axis", BOTH, r"Axis Communications\b.*"),
    ("Blink", CAMERA, r"Blink by Amazon\b.*"),
    ("CP Plus", BOTH, r"CP Plus\b.*"),
    ("Costar Video", CAMERA, r"Costar Video Systems\b.*"),
    ("Dahua", BOTH, r"Zhejiang Dahua (Technology|Vision)\b.*"),
    ("Dallmeier", BOTH, r"Dallmeier electronic\b.*"),
    ("Digital Watchdog", BOTH, r"Digital Watchdog\b.*"),
    ("Eagle Eye Networks", RECORDER, r"Eagle Eye Networks\b.*"),
    ("EverFocus", BOTH, r"EverFocus Electronics\b.*"),
    ("Ezviz", CAMERA, r"Hangzhou Ezviz\b.*"),
    ("Foscam", CAMERA, r"(Shenzhen )?Foscam\b.*"),
    ("GeoVision", BOTH, r"GeoVision\b.*"),
    ("Hanwha Vision", BOTH, r"Hanwha (Vision|Techwin)\b.*|Samsung Techwin\b.*"),
    ("Hikvision", BOTH, r"Hangzhou Hikvision Digital Technology\b.*|Prama Hikvision India\b.*"),
    ("Honeywell Video", BOTH, r"Honeywell Video Systems\b.*"),
    ("Hunt Electronic", BOTH, r"Hunt Electronic\b.*"),
    ("i-PRO", BOTH, r"i-PRO Co\b.*"),
    ("IDIS", BOTH, r"IDIS Co\b.*"),
    ("Imou", CAMERA, r"(Hangzhou )?Imou\b.*"),
    ("Infinova", BOTH, r"Infinova\b.*"),
    ("IQinVision", CAMERA, r"IQinVision\b.*"),
    ("Jovision", BOTH, r"(Jinan )?Jovision (Science|Technology)\b.*"),
    ("Lorex", BOTH, r"Lorex Technology\b.*"),
    ("March Networks", BOTH, r"March Networks\b.*"),
    ("Milesight", BOTH, r"Milesight (Technology|Taiwan)\b.*"),
    ("Mobotix", CAMERA, r"Mobotix\b.*"),
    ("Pelco", BOTH, r"Pelco\b.*"),
    ("Provision-ISR", BOTH, r"Provision-ISR\b.*"),
    ("Reolink", BOTH, r"Reolink\b.*"),
    ("Siqura", CAMERA, r"Siqura\b.*"),
    ("Sunell", CAMERA, r"Sunell Electronics\b.*"),
    ("Swann", BOTH, r"Swann Communications\b.*"),
    ("Tiandy", BOTH, r"Tiandy Technolog.*"),
    ("TVT", BOTH, r"TVT Co\b.*|Shenzhen TVT Digital\b.*"),
    ("Uniview", BOTH, r"Zhejiang Uniview Technolog.*"),
    ("VCS Video", BOTH, r"VCS Video Communication Systems\b.*"),
    ("Verkada", CAMERA, r"Verkada\b.*"),
    ("Vicon", BOTH, r"Vicon Industries\b.*"),
    ("Videotec", CAMERA, r"Videotec S\.?p\.?A\b.*"),
    ("Vivotek", BOTH, r"Vivotek\b.*"),
]

# Organisations that look related but are left out, with the reason.  Listed
# in the generated header so the next editor does not re-add them blindly.
EXCLUDED = {
    "Bosch Security Systems": "also intrusion, fire and PA lines; the name cannot tell",
    "Xiamen Milesight IoT": "the IoT arm (sensors, gateways, routers), not video",
    "Shanghai Dahua Scale Factory": "a different company (scales)",
    "Honeywell, other than Honeywell Video Systems": "mostly building and fire systems",
    "Ring LLC": "also alarm systems and lighting",
    "Wyze Labs": "also plugs, bulbs, locks and other home devices",
    "FLIR Systems": "also thermal instruments and other non-surveillance products",
    "Genetec": "also access-control hardware",
    "Aditya Infotech, Prama India": "the name does not show a video maker",
    "Canon, Sony, Panasonic, Samsung Electronics": "mainly other products",
    "Costar electronics, Hyesung Techwin, STechwin": "similar names, no sign of video",
}

REGISTRIES = [
    # (file name, registry label, prefix length in bits)
    ("oui.csv", "MA-L", 24),
    ("mam.csv", "MA-M", 28),
    ("oui36.csv", "MA-S", 36),
    ("iab.csv", "IAB", 36),
]


def normalise(name):
    return " ".join(name.split())


def source_version(registry_dir, override):
    if override:
        return override
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", "ieee-data"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if out:
            return "Debian ieee-data " + out
    except (OSError, subprocess.CalledProcessError):
        pass
    return "unknown version of " + registry_dir


def read_registry(path, bits):
    """Yield (prefix value, prefix bits, organisation name) for each row."""
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assignment = row.get("Assignment", "").strip()
            name = normalise(row.get("Organization Name", ""))
            if len(assignment) * 4 != bits or not re.fullmatch(r"[0-9A-Fa-f]+", assignment):
                raise SystemExit(f"{path}: unexpected assignment {assignment!r}")
            yield int(assignment, 16), name


def classify(name, compiled):
    hits = [vendor for vendor, _, pattern in compiled if pattern.fullmatch(name)]
    if len(hits) > 1:
        raise SystemExit(f"organisation {name!r} matches several rules: {hits}")
    return hits[0] if hits else None


def hex_bytes(value, nbytes):
    return ", ".join(f"0x{(value >> (8 * (nbytes - 1 - i))) & 0xFF:02X}" for i in range(nbytes))


def rust_str(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry-dir", default=DEFAULT_REGISTRY_DIR)
    parser.add_argument("--source-version", help="version label for the header")
    parser.add_argument("-o", "--output", help="output file (default: src/vendor/oui_table.rs)")
    args = parser.parse_args()

    compiled = [(v, k, re.compile(p, re.IGNORECASE)) for v, k, p in RULES]
    kinds = {v: k for v, k, _ in RULES}

    # entries[bits] = list of (prefix value, vendor, organisation)
    entries = {24: [], 28: [], 36: []}
    read, missing = [], []
    for file_name, label, bits in REGISTRIES:
        path = os.path.join(args.registry_dir, file_name)
        if not os.path.exists(path):
            missing.append(f"{file_name} ({label})")
            continue
        kept = 0
        for value, name in read_registry(path, bits):
            vendor = classify(name, compiled)
            if vendor is not None:
                entries[bits].append((value, vendor, name))
                kept += 1
        read.append(f"{file_name} ({label}, {bits}-bit): {kept} kept")
    if not read:
        raise SystemExit(f"no registry files found in {args.registry_dir}")

    for bits, rows in entries.items():
        rows.sort()
        for a, b in zip(rows, rows[1:]):
            if a[0] == b[0]:
                raise SystemExit(f"prefix {a[0]:X} ({bits}-bit) registered twice")

    used = sorted({v for rows in entries.values() for _, v, _ in rows}, key=str.lower)
    unused = sorted({v for v, _, _ in RULES} - set(used), key=str.lower)
    index = {v: i for i, v in enumerate(used)}
    counts = {v: 0 for v in used}
    for rows in entries.values():
        for _, v, _ in rows:
            counts[v] += 1
    total = sum(len(rows) for rows in entries.values())

    out = []
    w = out.append
    w("//! Video-surveillance vendors by IEEE MAC prefix. Generated file: do not edit;")
    w("//! change and rerun `scripts/gen-oui-table.py` instead.")
    w("//!")
    w(f"//! Source: the IEEE registry as packaged in {source_version(args.registry_dir, args.source_version)}")
    w(f"//! (default location {DEFAULT_REGISTRY_DIR}).")
    for line in read:
        w(f"//! - {line}")
    for line in missing:
        w(f"//! - {line}: not present, skipped")
    w("//!")
    w(f"//! {total} prefixes for {len(used)} vendors. Organisation-name patterns")
    w("//! (case-insensitive, whole name, whitespace collapsed):")
    for vendor, kind, pattern in RULES:
        if vendor in counts:
            w(f"//! - {vendor} ({kind}, {counts[vendor]}): `{pattern}`")
    if unused:
        w("//!")
        w("//! Patterns with no match in this registry version, so not in the table:")
        for vendor, kind, pattern in RULES:
            if vendor not in counts:
                w(f"//! - {vendor} ({kind}): `{pattern}`")
    w("//!")
    w("//! Deliberately left out:")
    for org, why in EXCLUDED.items():
        w(f"//! - {org}: {why}")
    w("")
    w("use super::{Vendor, VendorKind};")
    w("")
    w("/// Vendors referenced by the prefix tables, sorted by name.")
    w(f"pub(super) static VENDORS: [Vendor; {len(used)}] = [")
    for v in used:
        w("    Vendor {")
        w(f"        name: {rust_str(v)},")
        w(f"        kind: VendorKind::{kinds[v]},")
        w("    },")
    w("];")

    def table(name, doc, bits, nbytes, rows):
        w("")
        w(f"/// {doc}")
        w(f"pub(super) static {name}: [([u8; {nbytes}], u16); {len(rows)}] = [")
        code = []
        for value, vendor, org in rows:
            # Sub-byte prefixes are left-aligned: the unused low bits are zero.
            aligned = value << (nbytes * 8 - bits)
            code.append((f"    ([{hex_bytes(aligned, nbytes)}], {index[vendor]}),", org))
        # rustfmt aligns the trailing comments of consecutive lines.
        width = max((len(c) for c, _ in code), default=0)
        for c, org in code:
            w(f"{c.ljust(width)} // {org}")
        w("];")

    table("MA_L", "MA-L (24-bit) prefixes, sorted; the number indexes `VENDORS`.", 24, 3, entries[24])
    table(
        "MA_M",
        "MA-M (28-bit) prefixes, sorted; the low nibble of the last byte is zero.",
        28,
        4,
        entries[28],
    )
    table(
        "MA_S",
        "MA-S and IAB (36-bit) prefixes, sorted; the low nibble of the last byte is zero.",
        36,
        5,
        entries[36],
    )

    text = "\n".join(out) + "\n"
    path = args.output or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "vendor", "oui_table.rs"
    )
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"{path}: {total} prefixes, {len(used)} vendors", file=sys.stderr)


if __name__ == "__main__":
    main()
