//! Account names: `cut -d: -f1,3 /etc/passwd` (`name:uid`); full passwd lines
//! (`name:x:uid:gid:…`, see [passwd(5)](https://man7.org/linux/man-pages/man5/passwd.5.html))
//! are read too.

use crate::fast_map::FastMap;

use super::{Parsed, Problem, numbered_lines};

/// uid → name. When several names share a uid (`root` and `toor`), the first wins, as with
/// `getpwuid`. NIS lines (`+`, `-`) and comments are ignored.
pub fn parse_passwd(body: &str) -> Result<Parsed<FastMap<u32, String>>, Problem> {
    let mut names = FastMap::default();
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(body) {
        if line.starts_with(['#', '+', '-']) {
            continue;
        }
        // name:uid, or name:password:uid:… (no allocation per line).
        let mut f = line.split(':');
        let name = f.next().map_or("", str::trim);
        let (second, third) = (f.next(), f.next());
        let uid_field = if third.is_none() { second } else { third };
        match uid_field.and_then(|s| s.trim().parse::<u32>().ok()) {
            Some(uid) if !name.is_empty() => {
                names.entry(uid).or_insert_with(|| name.to_owned());
            }
            _ => warnings.push(Problem::at(n, "not a name:uid line")),
        }
    }
    if names.is_empty() {
        return Err(Problem::whole("no account"));
    }
    Ok(Parsed { value: names, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cut_output_and_full_lines() {
        let p = parse_passwd(
            "root:0\ntoor:0\nj.doe2:1001\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n+::::::\n",
        )
        .map(|p| p.value)
        .unwrap_or_default();
        assert_eq!(p.get(&0).map(String::as_str), Some("root"));
        assert_eq!(p.get(&1001).map(String::as_str), Some("j.doe2"));
        assert_eq!(p.get(&33).map(String::as_str), Some("www-data"));
    }

    #[test]
    fn junk_is_a_warning_and_nothing_is_an_error() {
        let p = parse_passwd("root:0\nbroken\n:5\n");
        assert_eq!(p.map(|p| p.warnings.len()), Ok(2));
        assert!(parse_passwd("").is_err());
    }
}
