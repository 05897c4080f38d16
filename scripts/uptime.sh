# /proc/uptime: seconds since boot and summed idle seconds of all CPUs, e.g. "350735.47 234388.90".
# One-line files are read with the `read` builtin: no fork.
read -r l </proc/uptime && printf '%s\n' "$l"
