import numpy as np

from rmsprop_ref import RMSprop


def test_keras_docstring_example():
    # Keras's RMSprop docstring: η = 0.1, θ = 10, loss θ²/2 -> 9.683772 after one step.
    opt = RMSprop(learning_rate=0.1)
    theta = np.array([10.0], dtype=np.float32)
    new_theta, _ = opt.update(theta, theta.copy(), opt.init(theta))
    np.testing.assert_allclose(new_theta, [9.683772], rtol=1e-6)
