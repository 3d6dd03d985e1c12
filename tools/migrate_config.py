#!/usr/bin/env python3
"""Rewrites a run config (or sweep file) written before the agent section was split by algorithm.

    tools/migrate_config.py FILE.yaml [...]          # rewrites in place, prints what moved
    tools/migrate_config.py --check FILE.yaml [...]  # exit 1 if anything would move

Block-style YAML as drivelab's own configs are written: the flat keys under `agent:` move into the
algorithm's section (agent.num_steps -> agent.ppo.num_steps), train.eval_every/checkpoint_every get their
unit (train.eval_every_steps; agent.dt.*_gradient_steps, agent.gan.*_generator_steps), and dotted paths in
sweep files (`agent.ent_coef: {...}`, `overrides: {train.eval_every: 50000}`) are renamed the same way.
Comments stay with their keys. The table is the one in agents/agent_config.cpp (moved_config_key);
tests/app/test_migrate_config.cpp checks that the two agree for every algorithm.
"""
import os
import re
import sys

SHARED_PG = {"gamma", "normalize_reward", "clip_reward", "norm_adv", "ent_coef", "vf_coef"}
BOOTSTRAP = {"num_steps", "gae_lambda"}
PPO_ONLY = {"num_minibatches", "update_epochs", "clip_coef", "clip_vloss", "target_kl", "init_from", "value_warmup"}
BC_ONLY = {"epochs", "val_fraction", "patience", "obs_noise", "shift_pad"}
DT_ONLY = {"context_length", "d_model", "n_heads", "n_layers", "target_return", "gradient_steps"}


def moved(path, algo):
    """The new dotted path of `path` for `algo`, or None (agents/agent_config.cpp, moved_config_key)."""
    if path in ("train.eval_every", "train.checkpoint_every"):
        what = path.split(".")[1]
        if algo == "decision_transformer":
            return "agent.dt." + what + "_gradient_steps"
        if algo == "track_gan":
            return "agent.gan." + what + "_generator_steps"
        return "train." + what + "_steps"
    if path == "agent.world_model.eval_every":
        return "agent.world_model.eval_every_generations"
    if not path.startswith("agent.") or path.count(".") != 1:
        return None
    key = path[len("agent."):]
    if key in SHARED_PG:
        return "agent.%s.%s" % (algo if algo in ("a2c", "reinforce") else "ppo", key)
    if key in BOOTSTRAP:
        return "agent.%s.%s" % ("a2c" if algo == "a2c" else "ppo", key)
    if key in PPO_ONLY:
        return "agent.ppo." + key
    if key in ("data", "batch_size"):
        return "agent.%s.%s" % ("dt" if algo == "decision_transformer" else "bc", key)
    if key in BC_ONLY:
        return "agent.bc." + key
    if key == "dagger_iterations":
        return "agent.dagger.iterations"
    if key == "dagger_episodes":
        return "agent.dagger.episodes"
    if key in DT_ONLY:
        return "agent.dt." + key
    return None


KEY = re.compile(r"^(\s*)([A-Za-z_][A-Za-z0-9_.]*)\s*:(.*)$")


def algo_of(lines):
    """The algorithm the file configures (`algo: NAME` in block or flow style, or agent.algo), else ppo."""
    found = re.findall(r"(?:^|[\s{,])(?:agent\.)?algo\s*:\s*([A-Za-z0-9_]+)", "\n".join(lines))
    return found[-1] if found else "ppo"


def migrate(text, algo=None):
    lines = text.split("\n")
    algo = algo or algo_of(lines)
    out, moves = [], []
    # Pass 1: block-style keys. section -> (indent, lines) collected from the agent/train blocks.
    top = None           # current top-level key
    child_indent = None  # indentation of the top-level block's children
    pending = {}         # new section path ("agent.ppo") -> list of (key, rest of line, comments before)
    comments = []        # comment lines waiting for the next key
    i = 0
    block_end = {}       # top-level key -> index in `out` where its block ends
    while i < len(lines):
        line = lines[i]
        m = KEY.match(line)
        stripped = line.strip()
        if m and m.group(1) == "":
            top = m.group(2)
            child_indent = None
            out.extend(comments)
            comments = []
            out.append(line)
            block_end[top] = len(out)
            i += 1
            continue
        if stripped.startswith("#") or stripped == "":
            comments.append(line)
            i += 1
            continue
        if m and top in ("agent", "train"):
            indent, key, rest = m.groups()
            if child_indent is None:
                child_indent = indent
            if indent == child_indent:
                new = moved(top + "." + key, algo)
                if new is not None and new.rsplit(".", 1)[0] == top:  # renamed in its own section
                    moves.append((top + "." + key, new))
                    line = indent + new.rsplit(".", 1)[1] + ":" + rest
                elif new is not None:
                    section, new_key = new.rsplit(".", 1)
                    pending.setdefault(section, []).append((new_key, rest, comments))
                    comments = []
                    moves.append((top + "." + key, new))
                    i += 1
                    continue
        out.extend(comments)
        comments = []
        if m and top == "agent" and m.group(2) == "eval_every" and len(m.group(1)) > len(child_indent or ""):
            # agent.world_model.eval_every (the only nested key that moved)
            parent = next((o for o in reversed(out) if KEY.match(o) and len(KEY.match(o).group(1)) < len(m.group(1))), "")
            if parent.strip().startswith("world_model"):
                line = line.replace("eval_every", "eval_every_generations", 1)
                moves.append(("agent.world_model.eval_every", "agent.world_model.eval_every_generations"))
        out.append(line)
        if top is not None:
            block_end[top] = len(out)
        i += 1
    out.extend(comments)
    # Insert the collected sections at the end of their top-level block (sections under agent, renamed
    # train keys stay in train).
    inserts = {}
    for section, items in pending.items():
        parts = section.split(".")
        indent = child_indent_of(out, parts[0]) or "  "
        block = []
        if len(parts) == 1:
            for key, rest, before in items:
                block += [reindent(c, indent) for c in before]
                block.append("%s%s:%s" % (indent, key, rest))
        else:
            existing = find_child(out, parts[0], parts[1])
            if existing is not None:
                sub = indent * 2
                add = []
                for key, rest, before in items:
                    add += [reindent(c, sub) for c in before]
                    add.append("%s%s:%s" % (sub, key, rest))
                inserts.setdefault(existing, []).extend(add)
                continue
            block.append("%s%s:" % (indent, parts[1]))
            for key, rest, before in items:
                block += [reindent(c, indent * 2) for c in before]
                block.append("%s%s:%s" % (indent * 2, key, rest))
        where = block_end.get(parts[0], len(out))
        inserts.setdefault(where, []).extend(block)
    result = []
    for idx, line in enumerate(out):
        if idx in inserts and idx != 0:
            result.extend(inserts.pop(idx))
        result.append(line)
    for idx in sorted(inserts):
        result.extend(inserts[idx])
    text = "\n".join(result)
    # Pass 2: dotted paths (sweep files, overrides).
    def dotted(m):
        new = moved(m.group(2), algo)
        if new is None:
            return m.group(0)
        moves.append((m.group(2), new))
        return m.group(1) + new + m.group(3)
    text = re.sub(r"(^|[\s{,])((?:agent|train)\.[A-Za-z_][A-Za-z0-9_.]*)(\s*:)", dotted, text, flags=re.M)
    # Pass 3: flow mappings (`train: {eval_every: 5}`): renames inside train's are done; a moved key inside
    # agent's needs a new nested mapping, which is left to the reader (reported).
    def flow(m):
        section, body = m.group(2), m.group(3)
        def key(k):
            new = moved(section + "." + k.group(2), algo)
            if new is None:
                return k.group(0)
            if new.rsplit(".", 1)[0] != section:
                warnings.append("%s.%s -> %s (inside a flow mapping: move it by hand)" % (section, k.group(2), new))
                return k.group(0)
            moves.append((section + "." + k.group(2), new))
            return k.group(1) + new.rsplit(".", 1)[1] + k.group(3)
        return m.group(1) + re.sub(r"([{,]\s*)([A-Za-z_]+)(\s*:)", key, body)
    warnings = []
    text = re.sub(r"^([ \t]*(agent|train)[ \t]*:[ \t]*)(\{.*\})[ \t]*$", flow, text, flags=re.M)
    for w in warnings:
        print("warning: " + w, file=sys.stderr)
    return text, moves


def child_indent_of(lines, top):
    inside = False
    for line in lines:
        m = KEY.match(line)
        if not m:
            continue
        if m.group(1) == "":
            inside = m.group(2) == top
            continue
        if inside:
            return m.group(1)
    return None


def find_child(lines, top, child):
    """Index just after the last line of top.child's block, or None."""
    inside, indent, start = False, None, None
    for idx, line in enumerate(lines):
        m = KEY.match(line)
        if m and m.group(1) == "":
            if start is not None:
                return last_content(lines, start, idx)
            inside = m.group(2) == top
            continue
        if not inside or not m:
            continue
        if indent is None:
            indent = m.group(1)
        if m.group(1) == indent:
            if start is not None:
                return last_content(lines, start, idx)
            if m.group(2) == child:
                start = idx
    return last_content(lines, start, len(lines)) if start is not None else None


def last_content(lines, start, end):
    j = end
    while j > start + 1 and (lines[j - 1].strip() == "" or lines[j - 1].strip().startswith("#")):
        j -= 1
    return j


def reindent(line, indent):
    return indent + line.strip() if line.strip() else line


def main(argv):
    check = "--check" in argv
    files = [a for a in argv if a != "--check"]
    if not files:
        print(__doc__.strip())
        return 2
    changed = False
    for path in files:
        with open(path) as f:
            text = f.read()
        new, moves = migrate(text)
        if new != text:
            changed = True
            for old, to in moves:
                print("%s: %s -> %s" % (path, old, to))
            if not check:
                with open(path + ".tmp", "w") as f:
                    f.write(new)
                os.replace(path + ".tmp", path)
    return 1 if (check and changed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
