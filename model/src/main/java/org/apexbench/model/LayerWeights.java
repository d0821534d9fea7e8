package org.apexbench.model;

import org.apexbench.kernels.Weight;

/**
 * One decoder layer's weights in backend memory. Matrices are {@code [out][in]} as Hugging Face stores
 * them (the gemm computes x * W^T).
 *
 * @param gateUp gate_proj rows followed by up_proj rows, {@code [2 * intermediate][hidden]}: the layout
 *               {@code Backend.siluMul} expects its input in, produced by one gemm
 */
public record LayerWeights(Weight inputNorm, Weight q, Weight k, Weight v, Weight o, Weight postNorm, Weight gateUp,
                           Weight down) {}
