# Login sessions from utmp, one per line, as `who` prints them (GNU coreutils or busybox format).
# Prints nothing where utmp does not exist (containers, systems without utmp).
who
