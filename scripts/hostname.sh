# The kernel's host name (what `hostname` prints), read without a fork.
read -r l </proc/sys/kernel/hostname && printf '%s\n' "$l"
