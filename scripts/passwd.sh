# Account names for the uids of user_disk: the whole of /etc/passwd (name:x:uid:…).
cat /etc/passwd
