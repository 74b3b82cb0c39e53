@echo off
rem Start the mlmon monitoring stack on Windows (Docker Desktop) and wait until it is healthy.
rem Safe to re-run: an existing stack\.env is kept and running containers are updated in place.
rem Usage: scripts\setup-monitoring.bat [--skip-build] [--down] [--help]
setlocal EnableExtensions EnableDelayedExpansion

set "ROOT=%~dp0.."
pushd "%ROOT%" || exit /b 1
set "ENV_FILE=stack\.env"
set "ENV_EXAMPLE=stack\.env.example"
set "COMPOSE_FILE=stack\docker-compose.yml"
set "ALERTS_PROVISIONING=generated\alerts\grafana\provisioning.yml"
set "SKIP_BUILD="
set "DOWN="
set /a TIMEOUT=300

:args
if "%~1"=="" goto args_done
if /i "%~1"=="--help" goto usage
if /i "%~1"=="-h" goto usage
if /i "%~1"=="--skip-build" (set "SKIP_BUILD=1" & shift & goto args)
if /i "%~1"=="--down" (set "DOWN=1" & shift & goto args)
echo setup-monitoring: error: unknown option: %~1 1>&2
goto usage_error
:args_done

rem 1. Docker and Compose ("docker compose" or "docker-compose").
where docker >nul 2>&1 || (
    echo setup-monitoring: error: Docker is not installed: https://docs.docker.com/desktop/ ^(no Docker? run "make demo" instead^) 1>&2
    goto fail
)
set "COMPOSE="
docker compose version >nul 2>&1 && set "COMPOSE=docker compose"
if not defined COMPOSE (
    where docker-compose >nul 2>&1 && set "COMPOSE=docker-compose"
)
if not defined COMPOSE (
    echo setup-monitoring: error: Docker Compose is not installed: update Docker Desktop 1>&2
    goto fail
)
docker info >nul 2>&1 || (
    echo setup-monitoring: error: the Docker daemon is not reachable: start Docker Desktop, then re-run 1>&2
    goto fail
)
echo ==^> Using %COMPOSE%

if defined DOWN (
    if not exist "%ENV_FILE%" set "ENV_FILE=%ENV_EXAMPLE%"
    rem Compose interpolates the whole file even for "down"; the password is not used there.
    if not defined GF_SECURITY_ADMIN_PASSWORD set "GF_SECURITY_ADMIN_PASSWORD=not-used-by-down"
    echo ==^> Stopping the stack ^(volumes are kept^)
    %COMPOSE% --env-file "!ENV_FILE!" -f "%COMPOSE_FILE%" --profile alertmanager down || goto fail
    goto done
)

rem 2. stack\.env with random Grafana admin and PostgreSQL passwords, on the first run only.
if exist "%ENV_FILE%" (
    echo ==^> Keeping the existing %ENV_FILE%
) else (
    if not exist "%ENV_EXAMPLE%" (
        echo setup-monitoring: error: %ENV_EXAMPLE% is missing; restore it from git 1>&2
        goto fail
    )
    powershell -NoProfile -ExecutionPolicy Bypass -Command "$b = New-Object byte[] 24; [Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($b); $p = [BitConverter]::ToString($b).Replace('-', '').ToLower(); [Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($b); $q = [BitConverter]::ToString($b).Replace('-', '').ToLower(); (Get-Content -LiteralPath '%ENV_EXAMPLE%') -replace '^GF_SECURITY_ADMIN_PASSWORD=.*$', ('GF_SECURITY_ADMIN_PASSWORD=' + $p) -replace '^POSTGRES_PASSWORD=.*$', ('POSTGRES_PASSWORD=' + $q) | Set-Content -Encoding ascii -LiteralPath '%ENV_FILE%.tmp'; Move-Item -LiteralPath '%ENV_FILE%.tmp' -Destination '%ENV_FILE%'" || (
        echo setup-monitoring: error: could not create %ENV_FILE% ^(PowerShell is needed to generate the password^) 1>&2
        goto fail
    )
    echo ==^> Created %ENV_FILE% with a random Grafana admin password ^(GF_SECURITY_ADMIN_PASSWORD^) and PostgreSQL password ^(POSTGRES_PASSWORD, for the postgres profile^)
)
rem stack\.env holds the Grafana admin password: only the current user may read it (a new
rem file inherits the folder's ACL, which usually lets every local user read it).
icacls "%ENV_FILE%" /inheritance:r /grant:r "%USERNAME%:(F)" >nul || (
    echo setup-monitoring: error: could not restrict %ENV_FILE% to %USERNAME% ^(icacls^) 1>&2
    goto fail
)
findstr /r /c:"^GF_SECURITY_ADMIN_PASSWORD=." "%ENV_FILE%" >nul || (
    echo setup-monitoring: error: GF_SECURITY_ADMIN_PASSWORD is empty in %ENV_FILE%: set a password there ^(or delete the file to generate one^) 1>&2
    goto fail
)
powershell -NoProfile -ExecutionPolicy Bypass -Command "$p = ((Get-Content -LiteralPath '%ENV_FILE%') -match '^GF_SECURITY_ADMIN_PASSWORD=' | Select-Object -Last 1) -replace '^GF_SECURITY_ADMIN_PASSWORD=', ''; if ($p.Length -lt 12) { exit 1 }" || (
    echo setup-monitoring: error: GF_SECURITY_ADMIN_PASSWORD in %ENV_FILE% is too short: use at least 12 characters ^(or delete the file to generate a random one^) 1>&2
    goto fail
)

rem 3. Dashboards and alerts into generated\.
if defined SKIP_BUILD (
    echo ==^> Skipping the build: using the committed generated\
) else (
    where make >nul 2>&1 && (
        echo ==^> Building dashboards and alerts into generated\ ^(make dashboards^)
        make dashboards || goto build_failed
    ) || (
        if exist ".venv\Scripts\mlmon.exe" (
            echo ==^> Building dashboards and alerts into generated\ ^(.venv\Scripts\mlmon build^)
            .venv\Scripts\mlmon.exe build || goto build_failed
        ) else (
            echo ==^> make not found: using the committed generated\
        )
    )
)
if not exist "%ALERTS_PROVISIONING%" (
    echo setup-monitoring: error: %ALERTS_PROVISIONING% is missing: run "make dashboards" 1>&2
    goto fail
)

rem 4. Start, then wait for every service to be healthy.
echo ==^> Starting the stack ^(%COMPOSE% up -d --build^)
%COMPOSE% --env-file "%ENV_FILE%" -f "%COMPOSE_FILE%" up -d --build || goto fail
echo ==^> Waiting up to %TIMEOUT%s for the services to become healthy
set /a WAITED=0
:wait
set "PENDING="
set "FAILED="
for /f %%I in ('%COMPOSE% --env-file "%ENV_FILE%" -f "%COMPOSE_FILE%" ps -q') do (
    for /f %%S in ('docker inspect --format "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}" %%I') do (
        if not "%%S"=="healthy" if not "%%S"=="running" set "PENDING=1"
        if "%%S"=="unhealthy" set "FAILED=1"
        if "%%S"=="exited" set "FAILED=1"
    )
)
if defined FAILED (
    %COMPOSE% --env-file "%ENV_FILE%" -f "%COMPOSE_FILE%" ps
    echo setup-monitoring: error: a service failed: see "%COMPOSE% -f %COMPOSE_FILE% logs SERVICE" 1>&2
    goto fail
)
if defined PENDING (
    if !WAITED! geq %TIMEOUT% (
        %COMPOSE% --env-file "%ENV_FILE%" -f "%COMPOSE_FILE%" ps
        echo setup-monitoring: error: timed out after %TIMEOUT%s waiting for the services 1>&2
        goto fail
    )
    echo     still starting...
    timeout /t 5 /nobreak >nul
    set /a WAITED+=5
    goto wait
)

rem 5. Where everything is.
set "GRAFANA_HOST_PORT=3000"
set "PROMETHEUS_HOST_PORT=9090"
set "API_HOST_PORT=8000"
set "EXPORTER_HOST_PORT=8001"
set "GF_SECURITY_ADMIN_USER=admin"
for /f "usebackq tokens=1,* delims==" %%A in ("%ENV_FILE%") do (
    if "%%A"=="GRAFANA_HOST_PORT" set "GRAFANA_HOST_PORT=%%B"
    if "%%A"=="PROMETHEUS_HOST_PORT" set "PROMETHEUS_HOST_PORT=%%B"
    if "%%A"=="API_HOST_PORT" set "API_HOST_PORT=%%B"
    if "%%A"=="EXPORTER_HOST_PORT" set "EXPORTER_HOST_PORT=%%B"
    if "%%A"=="GF_SECURITY_ADMIN_USER" set "GF_SECURITY_ADMIN_USER=%%B"
)
echo.
echo The monitoring stack is up.
echo.
echo   Grafana         http://localhost:%GRAFANA_HOST_PORT%   ^(dashboards in the "ML Monitoring" folder^)
echo   Prometheus      http://localhost:%PROMETHEUS_HOST_PORT%
echo   Model API       http://localhost:%API_HOST_PORT%/docs
echo   Model metrics   http://localhost:%EXPORTER_HOST_PORT%/metrics
echo.
echo Log in to Grafana as '%GF_SECURITY_ADMIN_USER%'; the password is GF_SECURITY_ADMIN_PASSWORD in
echo   %CD%\%ENV_FILE%
echo Stop the stack with "scripts\setup-monitoring.bat --down" (data is kept in Docker volumes).
goto done

:usage
echo Usage: scripts\setup-monitoring.bat [--skip-build] [--down] [--help]
echo.
echo Checks Docker and Compose, creates stack\.env with a random Grafana admin password on the
echo first run (an existing one is made private to you; a password under 12 characters is
echo refused), builds generated\ (make dashboards), runs "up -d --build", waits until every
echo service is healthy and prints the URLs. --down stops the stack (volumes are kept).
popd
exit /b 0

:build_failed
echo setup-monitoring: error: building generated\ failed ^(see above^); fix it or re-run with --skip-build 1>&2
goto fail

:usage_error
popd
exit /b 2

:fail
popd
exit /b 1

:done
popd
exit /b 0
