// Package shaders holds lsgd's GLSL 4.30 compute shaders, embedded.
//
// The gpu package compiles each kernel from three source strings: a header
// it generates (the #version line and the #defines that specialise the
// kernel: C4, WG, R, NX, KB, LANES, F64, WEIGHTED, LOGIT, and the tiled
// gradient kernel's shape, see gradtile.comp), common.glsl, and the kernel's .comp file. See gpu/README.md for what each kernel computes and the
// error bounds of the reductions.
package shaders

import "embed"

// FS holds common.glsl and the *.comp kernels.
//
//go:embed *.glsl *.comp
var FS embed.FS
