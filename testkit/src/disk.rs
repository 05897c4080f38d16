//! A small file system of a test's own: an ext4 image on a loop device, mounted in a temporary
//! directory, so that its usage moves only with what the test writes. Needs root, `mkfs.ext4`
//! and `mount -o loop` (`.ci/test-deps.sh`).

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// A loop-mounted ext4 file system, unmounted on drop.
pub struct LoopMount {
    dir: tempfile::TempDir,
    /// Where it is mounted.
    pub point: PathBuf,
}

impl LoopMount {
    /// Makes and mounts a `size_mib` MiB file system (no blocks reserved for root).
    pub fn new(size_mib: u64) -> Self {
        Self::at(size_mib, "mnt")
    }

    /// [`LoopMount::new`], mounted at `sub` (a relative path, made with its parents) of a
    /// temporary directory: a mount point whose name a test chooses.
    pub fn at(size_mib: u64, sub: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // The test account must reach the mount point for its df to see it.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let image = dir.path().join("disk.img");
        std::fs::File::create(&image).unwrap().set_len(size_mib << 20).unwrap();
        let mkfs = Command::new("mkfs.ext4").args(["-q", "-F", "-m", "0"]).arg(&image).output().unwrap();
        assert!(mkfs.status.success(), "mkfs.ext4: {}", String::from_utf8_lossy(&mkfs.stderr));
        let point = dir.path().join(sub);
        std::fs::create_dir_all(&point).unwrap();
        let mount = Command::new("mount").args(["-o", "loop"]).arg(&image).arg(&point).output().unwrap();
        assert!(mount.status.success(), "mount -o loop: {}", String::from_utf8_lossy(&mount.stderr));
        Self { dir, point }
    }

    /// Writes `mib` MiB into the file `name`, on disk before it returns.
    pub fn fill(&self, name: &str, mib: usize) {
        let mut f = std::fs::File::create(self.point.join(name)).unwrap();
        f.write_all(&vec![0x5a; mib << 20]).unwrap();
        f.sync_all().unwrap();
    }

    /// Removes the file `name` and flushes the file system, so its usage drops at once.
    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.point.join(name)).unwrap();
        let _ = Command::new("sync").arg("-f").arg(&self.point).status();
    }
}

impl Drop for LoopMount {
    fn drop(&mut self) {
        let ok = Command::new("umount").arg(&self.point).status().is_ok_and(|s| s.success());
        if !ok {
            eprintln!("could not unmount {} (left in {})", self.point.display(), self.dir.path().display());
        }
    }
}
