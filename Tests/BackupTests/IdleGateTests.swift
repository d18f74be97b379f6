@testable import Backup
import Testing

/// Naps of an hour that must end at once: a wake that did not work runs into the time limit. No bound on how
/// fast they end (a loaded machine can keep a test's tasks waiting for seconds).
@Suite("The idle gate", .timeLimit(.minutes(1)))
struct IdleGateTests {
    @Test func aNapEndsWhenATaskFinishes() async {
        let gate = IdleGate()
        async let napped: Void = gate.nap(.seconds(3_600))
        gate.wake() // a slot finished a task, before the nap began or during it: either way it ends
        await napped
    }

    @Test func aWakeWhileNobodyNapsSkipsTheNextNapOnly() async {
        let gate = IdleGate()
        gate.wake()
        await gate.nap(.seconds(3_600))
        let start = ContinuousClock.now
        await gate.nap(.milliseconds(200))
        #expect(ContinuousClock.now - start >= .milliseconds(200), "an unwoken nap lasts its interval")
    }
}
