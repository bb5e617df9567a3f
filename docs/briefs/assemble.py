"""Merge the two language halves of a blind set, shuffle them with the round's seed, write it.

python3 docs/briefs/assemble.py matcher phrasebank/eval/test26.jsonl
python3 docs/briefs/assemble.py compliance phrasebank/compliance/eval/test26.jsonl
"""

import hashlib
import json
import random
import sys

ROUND, SEED = 26, 20261205

kind, out = sys.argv[1], sys.argv[2]
rows = []
for lang in ("zh", "en"):
    with open(f"/tmp/holdout{ROUND}-{kind}/{lang}/{lang}.jsonl", encoding="utf-8") as f:
        rows += [json.loads(line) for line in f if line.strip()]
random.Random(SEED).shuffle(rows)
text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
with open(out, "w", encoding="utf-8") as f:
    f.write(text)
print(kind, len(rows), hashlib.sha256(text.encode()).hexdigest())
