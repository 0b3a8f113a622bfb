//go:build !linux

package main

import "os"

// growPipe enlarges a pipe's buffer where the system allows it (Linux only).
func growPipe(*os.File) {}
