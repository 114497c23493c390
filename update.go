package lsgd

import "math"

// State is the optimizer state in table space, the float64 reference that
// every backend's update kernel must reproduce. All slices have length p.
type State struct {
	Theta, Look, Grad, M1, M2 []float64
	Mask                      []float64
	K                         int // Nesterov: steps since the last restart
	Restarts                  int
}

// NewState returns a state of length p with Theta = Look = theta and the
// given mask.
func NewState(theta, mask []float64) *State {
	p := len(theta)
	s := &State{
		Theta: append([]float64(nil), theta...),
		Look:  append([]float64(nil), theta...),
		Grad:  make([]float64, p),
		M1:    make([]float64, p),
		M2:    make([]float64, p),
		Mask:  append([]float64(nil), mask...),
	}
	return s
}

// Slot returns the vector named by sl.
func (s *State) Slot(sl Slot) []float64 {
	switch sl {
	case Theta:
		return s.Theta
	case Look:
		return s.Look
	case Grad:
		return s.Grad
	case M1:
		return s.M1
	case M2:
		return s.M2
	}
	panic("lsgd: unknown slot " + sl.String())
}

// NesterovBeta returns the momentum of Nesterov's schedule after k steps
// since the last restart: k/(k+3).
func NesterovBeta(k int) float64 { return float64(k) / float64(k+3) }

// Apply performs one update with the gradient in s.Grad, exactly as a
// device kernel must (element order does not matter: every element is
// independent, except Nesterov's restart test, a dot product over p).
func (s *State) Apply(st Step) {
	g := s.Grad
	switch st.Method {
	case GD:
		for j := range s.Theta {
			s.Theta[j] -= st.LR * g[j]
		}
	case Momentum:
		for j := range s.Theta {
			s.M1[j] = st.Beta*s.M1[j] + g[j]
			s.Theta[j] -= st.LR * s.M1[j]
		}
	case Nesterov:
		// x_new = y − αg; restart when g·(x_new − x_old) > 0.
		dot := 0.0
		for j := range s.Theta {
			xn := s.Look[j] - st.LR*g[j]
			dot += g[j] * (xn - s.Theta[j])
		}
		beta := st.Beta
		if st.Restart && dot > 0 {
			s.K = 0
			s.Restarts++
			beta = 0
		} else {
			s.K++
			if beta < 0 {
				beta = NesterovBeta(s.K)
			}
		}
		for j := range s.Theta {
			xn := s.Look[j] - st.LR*g[j]
			s.Look[j] = xn + beta*(xn-s.Theta[j])
			s.Theta[j] = xn
		}
	case RMSprop:
		for j := range s.Theta {
			s.M2[j] = st.Beta*s.M2[j] + (1-st.Beta)*g[j]*g[j]
			s.Theta[j] -= st.LR * g[j] / (math.Sqrt(s.M2[j]) + st.Eps)
		}
	case Adam:
		for j := range s.Theta {
			s.M1[j] = st.Beta*s.M1[j] + (1-st.Beta)*g[j]
			s.M2[j] = st.Beta2*s.M2[j] + (1-st.Beta2)*g[j]*g[j]
			mh := s.M1[j] / st.Bias1
			vh := s.M2[j] / st.Bias2
			s.Theta[j] -= st.LR * mh / (math.Sqrt(vh) + st.Eps)
		}
	default:
		panic("lsgd: unknown method " + st.Method.String())
	}
}

// ParamNorm2 returns ‖θ‖² over the free entries (mask 1).
func (s *State) ParamNorm2() float64 {
	n := 0.0
	for j, v := range s.Theta {
		if s.Mask[j] != 0 {
			n += v * v
		}
	}
	return n
}
