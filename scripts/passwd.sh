# "name:uid" for every local account, to name the uids of `owners`. Accounts known only to
# LDAP/SSSD are not listed: their processes are reported under the number.
cut -d: -f1,3 /etc/passwd
