//go:build unix && !linux

package chaos

import "errors"

func mountTmpfs(string, int) (func(), error) {
	return nil, errors.New("tmpfs is mounted only on Linux")
}

// DetectDisk says how the harness can fill a disk here: a file-size limit.
func DetectDisk(string) DiskMode { return DiskRlimit }
