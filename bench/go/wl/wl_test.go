package wl

import "testing"

// The expected values were printed by bench/js/common.js (the command is in
// bench/README.md, "Checking the weights"): the Go streams must reproduce the
// JavaScript ones bit for bit, float32 rounding included.
func TestStreamsMatchTheJavaScriptHarness(t *testing.T) {
	r := NewStream(101)
	for i, want := range []float64{0.13564785965718329, 0.76480194996111095, 0.54060830944217741} {
		if got := r.Next(); got != want {
			t.Fatalf("draw %d of mulberry32(101): got %.17g, want %.17g", i, got, want)
		}
	}
	for _, tc := range []struct {
		w                 string
		weights, x, label float64
	}{
		{"W1", -126.70139451237947, 175145.18232200830, 2006},
		{"W2", -7.2657302210255921, 176683.99051459460, 2208},
		{"W3", 83.060991095124336, 68.366578249726444, 575},
		{"W4", -15.989059750289016, 89020.209549268824, 88082.702835466247},
	} {
		t.Run(tc.w+" weights and batch are the JavaScript ones", func(t *testing.T) {
			s := 0.0
			for _, p := range KerasWeights(tc.w) {
				s += Checksum(p.Data)
			}
			d := MakeData(tc.w)
			y := Checksum(d.Target)
			for i, l := range d.Labels {
				y += float64(int(l) * (1 + i%13))
			}
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"weights", s, tc.weights}, {"input", Checksum(d.X), tc.x}, {"labels/target", y, tc.label}} {
				if rel := (c.got - c.want) / c.want; rel > 1e-12 || rel < -1e-12 {
					t.Errorf("%s checksum %.17g, want %.17g", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestTorchWeightsAreTheKerasWeightsRearranged(t *testing.T) {
	k, p := KerasWeights("W2"), TorchWeights("W2")
	// conv1 Keras [5,5,1,6] element (y=1,x=2,i=0,o=3) is OIHW (3,0,1,2).
	if k[0].Data[((1*5+2)*1+0)*6+3] != p[0].Data[((3*1+0)*5+1)*5+2] {
		t.Error("conv1 is not OIHW")
	}
	// fc1 Keras row (s=7, c=2) column 9 is torch [120,400] element (9, c*25+s).
	if k[4].Data[(7*16+2)*120+9] != p[4].Data[9*400+2*25+7] {
		t.Error("fc1 rows are not reordered from HWC to CHW")
	}
	l := TorchWeights("W3")
	if len(l) != 6 || l[0].Shape[0] != 4*Hidden || l[0].Shape[1] != Feat || l[3].Data[5] != 0 {
		t.Errorf("LSTM tensors: %d, weight_ih %v", len(l), l[0].Shape)
	}
}
