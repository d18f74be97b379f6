import Foundation

/// A worker that `run` started stops as on SIGTERM once `run` is gone, even killed by SIGKILL (the worker is then
/// adopted, and its parent changes): the run is left unfinished, for the next `run` to finish and report, instead of
/// being finished by orphans and never reported. Checked every second (PR_SET_PDEATHSIG would follow the thread
/// that started the worker, which may end long before `run` does).
/// https://man7.org/linux/man-pages/man2/getppid.2.html
public enum OrphanWatch {
    /// Requests `stop` once this process's parent is no longer `parent`, telling `log`; cancel the task to stop
    /// watching.
    public static func start(parent: Int32, stop: StopFlag, log: @escaping @Sendable (String) -> Void) -> Task<Void, Never> {
        Task.detached {
            while !Task.isCancelled, !stop.requested {
                if getppid() != parent {
                    log("the run that started this worker (process \(parent)) is gone: stopping")
                    stop.request()
                    return
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
