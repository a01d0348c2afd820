#!/bin/sh
# demo.sh — dlgen end to end in one command, on the data the repository ships:
# generate the Go code of LeNet-5 from its definition in models/, build the
# generated command, train it on the MNIST subset in testdata/mnist and evaluate it
# on the test subset. Everything it writes goes to _demo/ (git ignores it).
#
#	./demo.sh            # about a minute on 2 cores, most of it compiling
#	EPOCHS=20 ./demo.sh  # longer training
set -eu
cd "$(dirname "$0")"
out=_demo
epochs=${EPOCHS:-10}

step() { printf '\n==> %s\n' "$*"; }

step "dlgen generate: models.LeNet → $out/lenet (the model's Go package) and $out/lenet/cmd/lenet (its command)"
go run ./cmd/dlgen generate -pkg ./models -model LeNet -out "$out/lenet" -max-batch 64 -cmd -v

step "go build -o $out/bin/lenet ./$out/lenet/cmd/lenet"
go build -o "$out/bin/lenet" "./$out/lenet/cmd/lenet"

step "lenet train: $epochs epochs on the shipped MNIST subset (1800 training, 200 validation examples)"
"$out/bin/lenet" train -epochs "$epochs" -batch 32 -optimizer adam -seed 1 \
	-weights "$out/lenet.safetensors" -checkpoint "$out/lenet.ckpt" -curves "$out/lenet-loss.png"

step "lenet eval: the trained weights on the shipped test subset (500 examples)"
"$out/bin/lenet" eval -weights "$out/lenet.safetensors"

step "lenet predict: the first 5 test examples"
"$out/bin/lenet" predict -weights "$out/lenet.safetensors" -n 5

printf '\nLoss curves: %s/lenet-loss.png; weights: %s/lenet.safetensors (safetensors, loads in PyTorch).\n' "$out" "$out"
