# NixOS module for the two machine roles around one Cachix cache:
#
#   desktop  builds, and pushes everything it builds (import it with role = "desktop");
#   laptop   only downloads; it never builds what the desktop or CI already built.
#
# Both read the cache. CI (examples/build.yml) fills it for every host, so the laptop's
# `nixos-rebuild switch` downloads instead of building. CI's report moves the branch
# `cached` only to commits whose every host is in the cache: a laptop that follows it
# (followBranch = "github:OWNER/REPO/cached") never compiles, by construction.
#
#   imports = [ ./cachix.nix ];
#   services.nix-cachix-build = {
#     enable = true;
#     cache = "seeds";
#     publicKey = "seeds.cachix.org-1:…";
#     role = "desktop";
#     tokenFile = config.sops.secrets.cachix-token.path;
#   };
{ config, lib, pkgs, ... }:

let
  cfg = config.services.nix-cachix-build;
  inherit (lib) mkEnableOption mkIf mkMerge mkOption types;

  hostName = config.networking.hostName;
  # Evaluated here, not at run time, so the commands build the configuration of this
  # machine even if its hostname is changed by hand.
  flakeRef = lib.escapeShellArg "${cfg.flake}#${hostName}";
  cache = lib.escapeShellArg cfg.cache;

  spoolDir = "/var/lib/nix-cachix-build";
  queue = "${spoolDir}/queue";
  lock = "${spoolDir}/lock";

  # Nix runs this after every build, inside its build loop: each second spent here holds
  # up the next build, and an error would fail the build. So it only appends to a local
  # file and always exits 0; the push service does the network I/O.
  postBuildHook = pkgs.writeShellScript "nix-cachix-build-hook" ''
    export PATH=${lib.makeBinPath [ pkgs.coreutils pkgs.util-linux ]}
    set -f # store path names may contain '?', which must not glob
    {
      mkdir -p ${spoolDir}
      exec 9>>${lock}
      # The push service holds the lock only to move the queue away; never wait long.
      flock -w 10 9
      # Some Nix versions leave OUT_PATHS empty; the service turns a .drv into its outputs.
      if [ -n "''${OUT_PATHS:-}" ]; then
        printf '%s\n' $OUT_PATHS >>${queue}
      elif [ -n "''${DRV_PATH:-}" ]; then
        printf '%s\n' "$DRV_PATH" >>${queue}
      fi
    } 2>/dev/null
    exit 0
  '';

  # Runs as a NixOS `script`, so under `set -e`. It reads the token from tokenFile when it
  # runs, so the token never enters the store.
  # pkgs.cachix rather than `npx nix-cachix-build push`: a NixOS module should not need
  # Node and npm at run time, and cachix is packaged and cached by nixpkgs.
  pushScript = ''
    # Let a burst of builds gather into one push.
    sleep 10

    # Take what is queued now; builds finishing meanwhile start a new queue, and the path
    # unit starts this service again for it.
    exec 9>>${lock}
    flock 9
    if [ -s ${queue} ]; then mv ${queue} "${spoolDir}/pushing.$(date +%s%N)"; fi
    rm -f ${queue}
    flock -u 9

    # Read only now: if this fails, the queue is already set aside for the timer's retry
    # rather than making the path unit restart this service in a loop.
    CACHIX_AUTH_TOKEN="$(cat ${lib.escapeShellArg cfg.tokenFile})"
    export CACHIX_AUTH_TOKEN

    # Each batch is deleted only once it is pushed; a failed one is retried by the timer.
    status=0
    for batch in ${spoolDir}/pushing.*; do
      [ -e "$batch" ] || continue
      paths="$(
        while read -r path; do
          case "$path" in
            *.drv) nix-store --query --outputs "$path" 2>/dev/null || true ;;
            *) printf '%s\n' "$path" ;;
          esac
        done <"$batch" | sort -u | while read -r path; do
          # Paths garbage-collected since they were built cannot be pushed.
          if [ -e "$path" ]; then printf '%s\n' "$path"; fi
        done
      )"
      if [ -z "$paths" ] || printf '%s\n' "$paths" | cachix push ${cache}; then
        rm -f "$batch"
      else
        status=1
      fi
    done
    exit "$status"
  '';

  rebuildPush = pkgs.writeShellApplication {
    name = "rebuild-push";
    runtimeInputs = [ pkgs.cachix ];
    text = ''
      # Switching needs root, and so does reading the token.
      if [ "$(id -u)" -ne 0 ]; then exec sudo "$0" "$@"; fi
      nixos-rebuild switch --flake ${flakeRef} "$@"
      # The hook already queued what was built here. This also pushes what came from
      # elsewhere, so the whole system is in the cache, and it works on the first switch,
      # before the hook was installed.
      CACHIX_AUTH_TOKEN="$(cat ${lib.escapeShellArg cfg.tokenFile})"
      export CACHIX_AUTH_TOKEN
      cachix push ${cache} "$(readlink -f /run/current-system)"
    '';
  };

  # `npx nix-cachix-build check --cache NAME HOST` says why each path would be built
  # (which input changed); this needs only Nix.
  cacheCheck = pkgs.writeShellApplication {
    name = "cache-check";
    text = ''
      # dry-build reports on stderr; keep it to print it and to look for builds.
      if ! out="$(nixos-rebuild dry-build --flake ${flakeRef} "$@" 2>&1)"; then
        printf '%s\n' "$out" >&2
        exit 1
      fi
      printf '%s\n' "$out"
      if grep -q 'will be built' <<<"$out"; then
        echo "cache-check: switching would build the derivations above; push them from the desktop or CI first" >&2
        exit 1
      fi
      echo "cache-check: switching would only download"
    '';
  };
in
{
  options.services.nix-cachix-build = {
    enable = mkEnableOption "pulling from (and on a desktop, pushing to) a Cachix cache";

    cache = mkOption {
      type = types.str;
      example = "seeds";
      description = "Name of the Cachix cache (https://<cache>.cachix.org).";
    };

    publicKey = mkOption {
      type = types.str;
      example = "seeds.cachix.org-1:AAAA…=";
      description = "The cache's public signing key, as shown on its Cachix page.";
    };

    role = mkOption {
      type = types.enum [ "desktop" "laptop" ];
      description = "desktop builds and pushes what it builds; laptop only downloads.";
    };

    # A string, not a Nix path: a path literal would copy the token into the world-readable store.
    tokenFile = mkOption {
      type = types.nullOr (types.strMatching "/.*");
      default = null;
      example = "/run/secrets/cachix-token";
      description = ''
        File holding the Cachix auth token, read at run time (e.g.
        config.sops.secrets.cachix-token.path). Required on a desktop, unused on a laptop.
      '';
    };

    followBranch = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "github:alice/seeds/cached";
      description = ''
        On a laptop: the flake of the branch CI's report moves only to fully cached commits.
        The laptop upgrades from it daily (system.autoUpgrade), or by hand with
        `nixos-rebuild switch --flake github:alice/seeds/cached` (or `nh os switch …`).
      '';
    };

    flake = mkOption {
      type = types.str;
      default = "/etc/nixos";
      description = "The system flake rebuild-push and cache-check build (#<hostname> is appended).";
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions = [
        {
          assertion = cfg.role != "desktop" || cfg.tokenFile != null;
          message = "services.nix-cachix-build.tokenFile is required when role is \"desktop\" (it pushes).";
        }
        {
          assertion = cfg.cache != "" && cfg.publicKey != "";
          message = "services.nix-cachix-build needs cache and publicKey.";
        }
      ];

      nix.settings = {
        substituters = [ "https://${cfg.cache}.cachix.org" ];
        trusted-public-keys = [ cfg.publicKey ];
      };
    }

    (mkIf (cfg.role == "desktop") {
      nix.settings.post-build-hook = postBuildHook;

      systemd.tmpfiles.rules = [ "d ${spoolDir} 0700 root root -" ];

      systemd.services.nix-cachix-build-push = {
        description = "Push the store paths built here to Cachix";
        wants = [ "network-online.target" ];
        after = [ "network-online.target" ];
        path = [ pkgs.cachix pkgs.coreutils pkgs.util-linux config.nix.package ];
        script = pushScript;
        serviceConfig.Type = "oneshot";
        # Started after every burst of builds; systemd's default limit would block it.
        unitConfig.StartLimitIntervalSec = 0;
      };

      # PathExists (unlike PathChanged) is checked again when the service stops, so paths
      # queued while it was pushing are not left waiting.
      systemd.paths.nix-cachix-build-push = {
        wantedBy = [ "multi-user.target" ];
        pathConfig.PathExists = queue;
      };

      # Retries batches whose push failed (offline, cachix.org down).
      systemd.timers.nix-cachix-build-push = {
        wantedBy = [ "timers.target" ];
        timerConfig = {
          OnBootSec = "5min";
          OnUnitInactiveSec = "1h";
        };
      };

      environment.systemPackages = [ rebuildPush ];
    })

    (mkIf (cfg.role == "laptop") {
      warnings = lib.optional (cfg.tokenFile != null)
        "services.nix-cachix-build.tokenFile is set on a laptop, which never pushes; it is unused.";

      environment.systemPackages = [ cacheCheck ];

      system.autoUpgrade = mkIf (cfg.followBranch != null) {
        enable = true;
        flake = cfg.followBranch;
        dates = "daily";
      };
    })
  ]);
}
