package chaos

import (
	"fmt"
	"os"
	"syscall"
)

// mountTmpfs mounts a tmpfs of size bytes on dir, and returns how to take it down.
func mountTmpfs(dir string, size int) (func(), error) {
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		return nil, err
	}
	return func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) }, nil
}

// DetectDisk says how the harness can fill a disk here: a tmpfs when it may mount one
// (it tries, in dir), else a file-size limit.
func DetectDisk(dir string) DiskMode {
	probe, err := os.MkdirTemp(dir, "tmpfs-probe-")
	if err != nil {
		return DiskRlimit
	}
	defer os.Remove(probe)
	unmount, err := mountTmpfs(probe, 64<<10)
	if err != nil {
		return DiskRlimit
	}
	unmount()
	return DiskTmpfs
}
