//go:build unix

package load

import (
	"github.com/dlgen/dlgen/internal/testmod"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInterrupt(t *testing.T) {
	t.Run("Ctrl-C while the constructors run stops them and removes the temporary program", func(t *testing.T) {
		root := testmod.UserModule(t, map[string]string{"slow/slow.go": `package slow

import (
	"os"
	"strconv"
	"time"

	"github.com/dlgen/dlgen/nn"
)

//dlgen:model
func Slow() *nn.Model {
	// Tell the test the program runs, and which process it is, then outlast it.
	// The working directory is the module root.
	os.WriteFile("running.tmp", []byte(strconv.Itoa(os.Getpid())), 0o644)
	os.Rename("running.tmp", "running")
	time.Sleep(time.Minute)
	return nn.New("slow")
}
`})
		done := make(chan error, 1)
		go func() {
			_, err := Models(root, []string{"./slow"}, nil)
			done <- err
		}()
		// Once the marker exists the program runs, so the signal handler is installed.
		marker := filepath.Join(root, "running")
		deadline := time.Now().Add(30 * time.Second)
		var pid int
		for {
			if data, err := os.ReadFile(marker); err == nil {
				pid, err = strconv.Atoi(string(data))
				require.NoError(t, err)
				break
			}
			require.True(t, time.Now().Before(deadline), "the temporary program did not start")
			time.Sleep(50 * time.Millisecond)
		}
		start := time.Now()
		require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
		select {
		case err := <-done:
			require.EqualError(t, err, "interrupted while running the model constructors")
		case <-time.After(20 * time.Second):
			t.Fatal("Models did not return after the interrupt")
		}
		assert.Less(t, time.Since(start), 10*time.Second)
		assert.Empty(t, tempDirs(t, root))
		// The program itself is killed too, not only the go command that started it.
		assert.Eventually(t, func() bool { return syscall.Kill(pid, 0) == syscall.ESRCH },
			5*time.Second, 50*time.Millisecond, "the constructors' process %d still runs", pid)
	})
}
