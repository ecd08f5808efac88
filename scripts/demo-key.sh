#!/usr/bin/env bash
# Prints a ready-to-use demo API key with a funded demo wallet, creating them through the admin API on first run and
# reusing them afterwards (kept in DATA/demo). Usage: demo-key.sh EDGE_URL ADMIN_TOKEN DATA_DIR
set -euo pipefail
EDGE="$1"; ADMIN="$2"; DATA="$3"
FILE="$DATA/demo"
json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }

if [ -s "$FILE" ]; then
  key="$(cat "$FILE")"
  if curl -fsS "$EDGE/api/v1/key" -H "Authorization: Bearer $key" >/dev/null 2>&1; then echo "$key"; exit 0; fi
fi
auth=(-H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json")
wallet="$(curl -fsS "$EDGE/admin/v1/wallets" "${auth[@]}" -d '{"name":"demo"}' | json "['id']")"
curl -fsS "$EDGE/admin/v1/wallets/$wallet/credits" "${auth[@]}" -d "{\"amount_usd\":10,\"reference\":\"demo-credit-$wallet\"}" >/dev/null
key="$(curl -fsS "$EDGE/admin/v1/keys" "${auth[@]}" \
  -d "{\"wallet_id\":\"$wallet\",\"name\":\"demo\",\"allowed_models\":[],\"max_output_tokens\":1024,\"output_cap_mode\":\"clamp\",\"rpm\":600}" | json "['key']")"
umask 077; echo "$key" > "$FILE"
echo "$key"
