// step.comp: one optimizer update on the double state vectors, the
// semantics of lsgd.State.Apply (every per-step constant comes from the
// host). Nesterov's restart test is a dot product over all entries, summed
// with a fixed tree. Afterwards ‖θ‖² over the free entries goes to the
// status. One work group.

layout(local_size_x = WG) in;

layout(std430, binding = 0) restrict buffer Vec { double vec[]; };
layout(std430, binding = 1) restrict buffer Status { Stat st; };

// lsgd.Method
#define GD 0u
#define MOMENTUM 1u
#define NESTEROV 2u
#define RMSPROP 3u
#define ADAM 4u

uniform uint method;
uniform uint restart;
uniform double lr;
uniform double beta;
uniform double beta2;
uniform double eps;
uniform double bias1;
uniform double bias2;

shared double sd[WG];

// sum adds s over the work group (fixed tree); every invocation gets the
// total.
double sum(double s) {
	uint t = gl_LocalInvocationID.x;
	sd[t] = s;
	barrier();
	for (uint h = WG / 2u; h > 0u; h >>= 1) {
		if (t < h) {
			sd[t] += sd[t + h];
		}
		barrier();
	}
	double r = sd[0];
	barrier();
	return r;
}

#define TH(j) vec[j]
#define LOOK(j) vec[uint(P) + j]
#define G(j) vec[uint(GRAD * P) + j]
#define V1(j) vec[uint(M1 * P) + j]
#define V2(j) vec[uint(M2 * P) + j]

void main() {
	uint t = gl_LocalInvocationID.x;
	uint p = uint(COLS) + 1u;
	int k = st.k;
	int restarts = st.restarts;
	double d = 0.0;
	if (method == NESTEROV) {
		for (uint j = t; j < p; j += uint(WG)) {
			double xn = LOOK(j) - lr * G(j);
			d += G(j) * (xn - TH(j));
		}
	}
	double dot = sum(d);
	double b = beta;
	if (method == NESTEROV) {
		if (restart != 0u && dot > 0.0) {
			k = 0;
			restarts++;
			b = 0.0;
		} else {
			k++;
			if (beta < 0.0) {
				b = double(k) / double(k + 3);
			}
		}
	}
	for (uint j = t; j < p; j += uint(WG)) {
		double g = G(j);
		switch (method) {
		case GD:
			TH(j) -= lr * g;
			break;
		case MOMENTUM:
			V1(j) = beta * V1(j) + g;
			TH(j) -= lr * V1(j);
			break;
		case NESTEROV: {
			double xn = LOOK(j) - lr * g;
			LOOK(j) = xn + b * (xn - TH(j));
			TH(j) = xn;
			break;
		}
		case RMSPROP:
			V2(j) = beta * V2(j) + (1.0 - beta) * g * g;
			TH(j) -= lr * g / (sqrt(V2(j)) + eps);
			break;
		case ADAM: {
			V1(j) = beta * V1(j) + (1.0 - beta) * g;
			V2(j) = beta2 * V2(j) + (1.0 - beta2) * g * g;
			double mh = V1(j) / bias1;
			double vh = V2(j) / bias2;
			TH(j) -= lr * mh / (sqrt(vh) + eps);
			break;
		}
		}
	}
	double pn = 0.0;
	for (uint j = t; j < p; j += uint(WG)) {
		if (vec[uint(MASK * P) + j] != 0.0) {
			pn += TH(j) * TH(j);
		}
	}
	pn = sum(pn);
	if (t == 0u) {
		st.param2 = pn;
		st.k = k;
		st.restarts = restarts;
	}
}
