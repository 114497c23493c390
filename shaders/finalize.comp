// finalize.comp: the gradient from the reduced sums acc = (Σ r·x'_j for
// j < 4·C4, Σ r, Σ r²), all in double. With x = x' + shift,
//
//	g_j = mask_j·(2/m)·(Σ r·x'_j + shift_j·Σ r) + 2·ridge_j·v_j
//	g_intercept = mask·(2/m)·Σ r + 2·ridge·v
//	loss = Σ r²/m + Σ_j ridge_j·v_j²
//
// It stores g in the grad slot and loss, ‖g‖² (and, when record is set,
// the running sums) in the status. One work group.

layout(local_size_x = WG) in;

// The gradient's factor: 2 for squared residuals; 1 for the binomial
// family (LOGIT), whose acc holds Σ(σ(z) − y)·x and Σ of the rows'
// negative log-likelihoods in place of Σr².
#ifdef LOGIT
#define GF 1.0
#else
#define GF 2.0
#endif

layout(std430, binding = 0) readonly restrict buffer Acc { double acc[]; };
layout(std430, binding = 1) restrict buffer Vec { double vec[]; };
layout(std430, binding = 2) restrict buffer Status { Stat st; };

uniform uint at;     // slot of the evaluation point
uniform double m;    // rows in the gradient
uniform uint record; // add to lossSum and count

shared dvec2 sd[WG];

void main() {
	uint t = gl_LocalInvocationID.x;
	double sr = acc[4 * C4];
	double srr = acc[4 * C4 + 1];
	dvec2 s = dvec2(0.0);
	for (uint j = t; j <= uint(COLS); j += uint(WG)) {
		double sx = j < uint(COLS) ? acc[j] + vec[uint(SHIFT * P) + j] * sr : sr;
		double v = vec[at * uint(P) + j];
		double ridge = vec[uint(RIDGE * P) + j];
		double g = vec[uint(MASK * P) + j] * (GF / m) * sx + 2.0 * ridge * v;
		vec[uint(GRAD * P) + j] = g;
		s += dvec2(g * g, ridge * v * v);
	}
	sd[t] = s;
	barrier();
	for (uint h = WG / 2u; h > 0u; h >>= 1) {
		if (t < h) {
			sd[t] += sd[t + h];
		}
		barrier();
	}
	if (t == 0u) {
		double loss = srr / m + sd[0].y;
		st.loss = loss;
		st.grad2 = sd[0].x;
		if (record != 0u) {
			st.lossSum += loss;
			st.count += 1;
		}
	}
}
