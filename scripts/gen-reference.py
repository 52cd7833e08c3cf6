# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Generate docs/reference/ from the collection's own documentation, and the security
model's who-can-do-what table from the zot role's default access policy.

Sources: every module's DOCUMENTATION/EXAMPLES/RETURN and every role's
meta/argument_specs.yml, read through `ansible-doc --json` so doc fragments are merged the
way users see them; the table comes from the policy engine's `summarize`.

    python scripts/gen-reference.py            # rewrite the files in place
    python scripts/gen-reference.py --check    # exit 1 and name the stale files

tests/unit/test_docs_reference.py runs the check in the test suite.

Why not antsibull-docs: it renders RST for a Sphinx docsite (its "simplified-rst" is still
RST), while docs/ is Markdown read where the repository is hosted. antsibull-docs lints the
same documentation instead (scripts/lint.sh), so both read one source.
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLLECTION = "zotops.registry"
REFERENCE_DIR = "docs/reference"
SECURITY_MODEL = "docs/security-model.md"
TABLE_BEGIN = "<!-- BEGIN GENERATED who-can-do-what (scripts/gen-reference.py) -->"
TABLE_END = "<!-- END GENERATED who-can-do-what -->"

# Ansible documentation markup -> Markdown.
_MARKUP = [
    (re.compile(r"L\(([^,()]+),\s*([^()]+)\)"), r"[\1](\2)"),
    (re.compile(r"U\(([^()]+)\)"), r"<\1>"),
    (re.compile(r"I\(([^()]+)\)"), r"*\1*"),
    (re.compile(r"B\(([^()]+)\)"), r"**\1**"),
    (re.compile(r"M\(([^()]+)\)"), r"`\1`"),
    # A reference into another role or plugin, O(collection#role:entrypoint:option): the name.
    (re.compile(r"\b(?:O|RV)\([a-z0-9_.]+#[a-z]+:(?:[a-z0-9_]+:)?([^()]+)\)"), r"`\1`"),
    # C(...) may itself contain parentheses, e.g. C(f(x)): match up to the last ")"
    # that closes the markup on a balanced basis for one nesting level.
    (re.compile(r"\b(?:C|O|V|RV|E|P)\(((?:[^()]|\([^()]*\))*)\)"), r"`\1`"),
]


def markup(text) -> str:
    if isinstance(text, list):
        text = " ".join(str(part) for part in text)
    text = " ".join(str(text).split())
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text


def paragraphs(text) -> list[str]:
    parts = text if isinstance(text, list) else [text]
    return [markup(part) for part in parts if part]


def cell(text) -> str:
    return markup(text).replace("|", "\\|")


def code(value) -> str:
    if value is None or value == "":
        return ""
    rendered = json.dumps(value) if not isinstance(value, str) else value
    return "`" + rendered.replace("|", "\\|").replace("`", "'") + "`"


def _ansible_doc(plugin_type: str, names: list[str]) -> dict:
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".cache" / "collections")
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    ansible_doc = pathlib.Path(sys.executable).parent / "ansible-doc"
    command = [str(ansible_doc), "-t", plugin_type, "--json", *names]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"gen-reference: {' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout)


# --------------------------------------------------------------------------- options


def _option_rows(options: dict, prefix: str = "") -> list[str]:
    rows = []
    for name in sorted(options or {}):
        spec = options[name] or {}
        type_ = spec.get("type", "str")
        if spec.get("elements"):
            type_ += f" of {spec['elements']}"
        required = "yes" if spec.get("required") else ""
        description = " ".join(paragraphs(spec.get("description", "")))
        if spec.get("choices"):
            description += " Choices: " + ", ".join(code(c) for c in spec["choices"]) + "."
        if spec.get("no_log"):
            description += " Secret (never logged)."
        if spec.get("aliases"):
            description += " Aliases: " + ", ".join(code(a) for a in spec["aliases"]) + "."
        default = code(spec["default"]) if "default" in spec else ""
        full_name = f"{prefix}{name}"
        rows.append(f"| `{full_name}` | {type_} | {required} | {default} | {cell(description)} |")
        if spec.get("suboptions") or spec.get("options"):
            rows += _option_rows(spec.get("suboptions") or spec.get("options"), f"{full_name}.")
    return rows


def _options_table(options: dict) -> list[str]:
    if not options:
        return ["No options."]
    header = ["| Option | Type | Required | Default | Description |", "| --- | --- | --- | --- | --- |"]
    return header + _option_rows(options)


def _return_rows(values: dict, prefix: str = "") -> list[str]:
    rows = []
    for name in sorted(values or {}):
        spec = values[name] or {}
        type_ = spec.get("type", "")
        if spec.get("elements"):
            type_ += f" of {spec['elements']}"
        full_name = f"{prefix}{name}"
        description = " ".join(paragraphs(spec.get("description", "")))
        returned = cell(spec.get("returned", ""))
        rows.append(f"| `{full_name}` | {type_} | {returned} | {cell(description)} |")
        if spec.get("contains"):
            rows += _return_rows(spec["contains"], f"{full_name}.")
    return rows


# --------------------------------------------------------------------------- pages


def module_page(name: str, entry: dict) -> str:
    doc = entry["doc"]
    lines = [f"# {COLLECTION}.{name}", "", f"{markup(doc.get('short_description', ''))}", ""]
    lines += ["<!-- Generated by scripts/gen-reference.py from the module's documentation. -->", ""]
    for paragraph in paragraphs(doc.get("description", [])):
        lines += [paragraph, ""]
    if doc.get("requirements"):
        lines += ["## Requirements", ""] + [f"- {markup(r)}" for r in doc["requirements"]] + [""]
    lines += ["## Options", ""] + _options_table(doc.get("options")) + [""]
    attributes = doc.get("attributes") or {}
    if attributes:
        lines += ["## Attributes", "", "| Attribute | Support | Details |", "| --- | --- | --- |"]
        for attribute in sorted(attributes):
            spec = attributes[attribute]
            details = " ".join(paragraphs(spec.get("details", "")))
            if attribute == "platform" and spec.get("platforms"):
                details = (details + " Platforms: " + markup(spec["platforms"])).strip()
            lines.append(f"| {attribute} | {spec.get('support', '')} | {cell(details)} |")
        lines.append("")
    if doc.get("notes"):
        lines += ["## Notes", ""] + [f"- {markup(note)}" for note in doc["notes"]] + [""]
    if doc.get("seealso"):
        lines += ["## See also", ""]
        for item in doc["seealso"]:
            target = item.get("module") or item.get("name") or item.get("link") or item.get("ref")
            text = f"- `{target}`"
            if item.get("description"):
                text += f": {markup(item['description'])}"
            lines.append(text)
        lines.append("")
    if entry.get("examples"):
        lines += ["## Examples", "", "```yaml", entry["examples"].strip("\n"), "```", ""]
    returns = entry.get("return") or {}
    if returns:
        lines += ["## Return values", "", "| Key | Type | Returned | Description |"]
        lines += ["| --- | --- | --- | --- |"] + _return_rows(returns) + [""]
    return "\n".join(lines)


def role_page(name: str, entry: dict) -> str:
    lines = [f"# Role {COLLECTION}.{name}", ""]
    lines += ["<!-- Generated by scripts/gen-reference.py from meta/argument_specs.yml. -->", ""]
    for entry_point in sorted(entry.get("entry_points") or {}):
        spec = entry["entry_points"][entry_point]
        if entry_point != "main":
            lines += [f"## Entry point `{entry_point}`", ""]
        if spec.get("short_description"):
            lines += [markup(spec["short_description"]), ""]
        for paragraph in paragraphs(spec.get("description", [])):
            lines += [paragraph, ""]
        heading = "##" if entry_point == "main" else "###"
        lines += [f"{heading} Variables", ""] + _options_table(spec.get("options")) + [""]
    return "\n".join(lines)


def index_page(modules: dict, roles: dict) -> str:
    lines = ["# Reference", ""]
    lines += ["<!-- Generated by scripts/gen-reference.py; do not edit by hand. -->", ""]
    lines += ["Generated from each role's `meta/argument_specs.yml` and each module's"]
    lines += ["documentation. Regenerate with `python scripts/gen-reference.py`.", ""]
    lines += ["## Roles", ""]
    for name in sorted(roles):
        spec = (roles[name].get("entry_points") or {}).get("main") or {}
        lines.append(f"- [{name}](roles/{name}.md): {markup(spec.get('short_description', ''))}")
    lines += ["", "## Modules", ""]
    for name in sorted(modules):
        summary = markup(modules[name]["doc"].get("short_description", ""))
        lines.append(f"- [{name}](modules/{name}.md): {summary}")
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- policy table


def default_access_control() -> dict:
    defaults = yaml.safe_load((ROOT / "roles/zot/defaults/main.yml").read_text())
    return defaults["zot_access_control"]


def who_can_do_what(access_control: dict) -> str:
    sys.path.insert(0, str(ROOT / ".cache" / "collections"))
    from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import summarize

    lines = [TABLE_BEGIN, "", "| Repository glob (example) | Who | Allowed | Denied |"]
    lines.append("| --- | --- | --- | --- |")
    for row in summarize(access_control):
        glob = f"`{row['pattern']}`" if row["pattern"] else "no glob matches"
        where = f"{glob} (`{row['example_repo']}`)"
        allowed = ", ".join(row["allowed"] + [f"{a} (if condition holds)" for a in row["conditional"]])
        denied = ", ".join(row["denied"])
        lines.append(f"| {where} | {row['who']} | {allowed or '-'} | {denied or '-'} |")
    lines += ["", TABLE_END]
    return "\n".join(lines)


def with_table(document: str, table: str) -> str:
    begin, end = document.find(TABLE_BEGIN), document.find(TABLE_END)
    if begin < 0 or end < begin:
        raise SystemExit(f"gen-reference: {SECURITY_MODEL} lacks the generated-table markers")
    return document[:begin] + table + document[end + len(TABLE_END) :]


# --------------------------------------------------------------------------- driver


def render_all(root: pathlib.Path = ROOT) -> dict[str, str]:
    """Every generated file as {path relative to the repository: content}."""
    module_names = sorted(p.stem for p in (root / "plugins/modules").glob("*.py") if p.stem != "__init__")
    role_names = sorted(p.parent.parent.name for p in (root / "roles").glob("*/meta/argument_specs.yml"))
    modules = _ansible_doc("module", [f"{COLLECTION}.{n}" for n in module_names])
    roles = _ansible_doc("role", [f"{COLLECTION}.{n}" for n in role_names])
    modules = {key.rsplit(".", 1)[1]: value for key, value in modules.items()}
    roles = {key.rsplit(".", 1)[1]: value for key, value in roles.items()}
    files = {f"{REFERENCE_DIR}/README.md": index_page(modules, roles)}
    for name, entry in modules.items():
        files[f"{REFERENCE_DIR}/modules/{name}.md"] = module_page(name, entry)
    for name, entry in roles.items():
        files[f"{REFERENCE_DIR}/roles/{name}.md"] = role_page(name, entry)
    security_model = (root / SECURITY_MODEL).read_text()
    files[SECURITY_MODEL] = with_table(security_model, who_can_do_what(default_access_control()))
    return files


def stale_files(root: pathlib.Path, files: dict[str, str]) -> list[str]:
    """Generated files whose content on disk differs, plus reference pages nobody generates."""
    stale = [
        path
        for path, text in files.items()
        if not (root / path).is_file() or (root / path).read_text() != text
    ]
    on_disk = {str(p.relative_to(root)) for p in (root / REFERENCE_DIR).rglob("*.md")}
    stale += sorted(on_disk - set(files))
    return sorted(stale)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args()
    files = render_all(ROOT)
    if args.check:
        stale = stale_files(ROOT, files)
        for path in stale:
            print(f"stale: {path} (run: python scripts/gen-reference.py)")
        return 1 if stale else 0
    for path in sorted((ROOT / REFERENCE_DIR).rglob("*.md")):
        if str(path.relative_to(ROOT)) not in files:
            path.unlink()
    for path, text in files.items():
        target = ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
