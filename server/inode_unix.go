//go:build unix

package server

import (
	"os"
	"syscall"
)

// inode is the file's inode number, or 0 where the system does not say.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino) //nolint:unconvert // int64 on some systems
	}
	return 0
}
