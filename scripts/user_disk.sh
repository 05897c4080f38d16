# Per-user disk usage, on its own slow schedule (never in the regular cycle: `du` is costly).
# For each directory directly under each configured path ("$@", set by the collector): its
# owner's uid, its size in KiB (`du -skx`: this file system only) and its path. Read-only.
for base in "$@"; do
  [ -d "$base" ] || continue
  for d in "$base"/* "$base"/.[!.]*; do
    [ -d "$d" ] || continue
    [ -L "$d" ] && continue
    uid=$(ls -ldn "$d" 2>/dev/null | awk '{print $3}')
    kib=$(du -skx "$d" 2>/dev/null | awk '{print $1}')
    [ -n "$uid" ] && [ -n "$kib" ] && printf '%s %s %s\n' "$uid" "$kib" "$d"
  done
done
