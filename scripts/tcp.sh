# TCP counters kept by the kernel: the "Tcp:" header and value lines of /proc/net/snmp
# (CurrEstab = sockets in ESTABLISHED, IPv4 and IPv6 together) and the "TCP:" / "TCP6:" lines of
# /proc/net/sockstat and sockstat6 ("TCP: inuse 14 orphan 0 tw 130 alloc 17 mem 0").
# Constant cost, unlike /proc/net/tcp, whose read walks the whole connection hash table: ~5 ms
# of kernel time per file on a 24 GB host even with 100 sockets.
grep -h -e '^Tcp:' -e '^TCP' /proc/net/snmp /proc/net/sockstat /proc/net/sockstat6 2>/dev/null || :
