# Login sessions from utmp, one per line, as `who` prints them (GNU coreutils or busybox format).
# TZ=UTC0 makes `who` print login times in UTC, whatever the server's zone; the parser adds the
# year `who` leaves out. Prints nothing where utmp does not exist (containers, systems without it).
TZ=UTC0 who
